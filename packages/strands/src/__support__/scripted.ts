// Test support for the Strands e2e tests. The scripted model has one home, the example's
// (examples/strands/src/scripted-model.ts): Strands ships no mock model, and the example stays whole for
// users to copy, so the tests use its model; here are only the shorthands the tests write turns with.
import type { Turn } from '../../../../examples/strands/src/scripted-model.js';

export { resultSeen, ScriptedModel, type Turn } from '../../../../examples/strands/src/scripted-model.js';

export const callTool = (id: string, name: string, input: Record<string, unknown>): Turn => ({
  tools: [{ id, name, input }],
});
export const say = (text: string): Turn => ({ text });

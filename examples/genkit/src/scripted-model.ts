// A model that answers from a script, so the example runs offline: any `ai.defineModel` is a model to
// Genkit's generate loop.
import type { Genkit } from 'genkit';

type ModelAction = ReturnType<Genkit['defineModel']>;

/** One scripted answer: tool requests, or the final text. */
export type Scripted =
  | { tools: { ref: string; name: string; input: Record<string, unknown> }[] }
  | { text: string };

let models = 0;

/** Defines a model on `ai` that answers `script` in order, one entry per model turn. */
export function scriptedModel(ai: Genkit, script: Scripted[]): ModelAction {
  const steps = [...script];
  models += 1;
  return ai.defineModel({ name: `scripted-${models}` }, async () => {
    const next = steps.shift();
    if (next === undefined) throw new Error('the scripted model ran out of answers');
    const content =
      'text' in next
        ? [{ text: next.text }]
        : next.tools.map((t) => ({ toolRequest: { ref: t.ref, name: t.name, input: t.input } }));
    return { message: { role: 'model', content }, finishReason: 'stop' };
  });
}

// What `@writ/mcp` and `@writ/mcp/v2` both export, whatever the SDK generation: one list, re-exported by
// each entry point beside its own `instrumentServer` / `instrumentClient`.
export { MCP_DEFAULTS } from '../defaults.js';
export { VERSION } from '../version.js';
export {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  type ApprovalFormSchema,
  type WritApprovalAnswer,
  type WritApprovalRequest,
} from './approval-flow.js';
export type { InstrumentClientOptions } from './client.js';
export type {
  InstrumentServerOptionsOf,
  TaskTokenSource,
  TaskTokenVerificationOf,
  TaskTokenVerifierOf,
} from './options.js';
export { REFUSAL_META_KEY } from './refusal.js';

// What `@writ/mcp` and `@writ/mcp/v2` both export, whatever the SDK generation: one list, re-exported by
// each entry point beside its own `instrumentServer` / `instrumentClient`.
export { MCP_DEFAULTS } from '../defaults.js';
export { VERSION } from '../version.js';
export {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  type ApprovalFormSchema,
  type WritApprovalAnswer,
  type WritApprovalMeta,
} from './approval-form.js';
export type { WritApprovalRequest } from './approval-prompt.js';
export { CALL_ID_META_KEY, type McpPendingApproval } from './approval-suspend.js';
export type { InstrumentClientOptions } from './client.js';
export type {
  ApproverVerification,
  ApproverVerifier,
  InstrumentServerOptionsOf,
  TaskTokenSource,
  TaskTokenVerificationOf,
  TaskTokenVerifierOf,
  VerifiedInbound,
} from './options.js';
export { REFUSAL_META_KEY } from './refusal.js';
export { resourceUri } from './resource-uri.js';

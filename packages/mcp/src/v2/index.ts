/**
 * `@writ/mcp/v2`: Writ for the Model Context Protocol TypeScript SDK 2.x (`@modelcontextprotocol/server`,
 * `@modelcontextprotocol/client`). The same behaviour and options as `@writ/mcp` (SDK 1.x): servers decide
 * and record every tool call under the caller's verified task token; clients carry trace context and
 * the task token in `params._meta`.
 * @packageDocumentation
 * @module @writ/mcp/v2
 */
export { DEFAULTS } from '../defaults.js';
export {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  type ApprovalFormSchema,
  type WritApprovalAnswer,
  type WritApprovalRequest,
} from '../shared/approval-flow.js';
export type { InstrumentClientOptions } from '../shared/client.js';
export type {
  InstrumentServerOptionsOf,
  TaskTokenSource,
  TaskTokenVerificationOf,
  TaskTokenVerifierOf,
} from '../shared/options.js';
export { REFUSAL_META_KEY } from '../shared/refusal.js';
export { VERSION } from '../version.js';
export { instrumentClient, type McpClientLike } from './client.js';
export {
  type InstrumentServerOptions,
  instrumentServer,
  type TaskTokenVerification,
  type TaskTokenVerifier,
} from './server.js';

/**
 * `@writ/mcp`: Writ for the Model Context Protocol (`@modelcontextprotocol/sdk` 1.x). Servers decide and
 * record every tool call under the caller's verified task token; clients carry trace context and the
 * task token in `params._meta`. For the 2.x SDK packages, import from `@writ/mcp/v2`.
 * @packageDocumentation
 * @module @writ/mcp
 */
export { type InstrumentClientOptions, instrumentClient, type McpClientLike } from './client.js';
export { DEFAULTS } from './defaults.js';
export {
  type InstrumentServerOptions,
  instrumentServer,
  type McpRequestExtra,
  REFUSAL_META_KEY,
  type TaskTokenSource,
  type TaskTokenVerification,
  type TaskTokenVerifier,
} from './server.js';
export {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  type ApprovalFormSchema,
  type WritApprovalAnswer,
  type WritApprovalRequest,
} from './shared/approval-flow.js';
export type {
  InstrumentServerOptionsOf,
  TaskTokenVerificationOf,
  TaskTokenVerifierOf,
} from './shared/options.js';
export { VERSION } from './version.js';

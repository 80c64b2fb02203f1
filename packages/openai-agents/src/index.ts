/**
 * `@writ/openai-agents`: the OpenAI Agents SDK's function and MCP tools through the Writ pipeline.
 * Every call is decided by policy, approved through the SDK's own `needsApproval` interruptions when
 * policy asks, credentialed, recorded in the audit log and traced; refusals reach the model as tool
 * output, and records carry the SDK's trace ids.
 * @packageDocumentation
 * @module @writ/openai-agents
 */
export {
  type ApprovalState,
  type ApproveCallOptions,
  approveCall,
  type RejectCallOptions,
  rejectCall,
  writToolErrorFormatter,
} from './approval-flow.js';
export { type WritMcpToolMetaOptions, writMcpToolMeta } from './mcp-meta.js';
export { FRAMEWORK, OPENAI_AGENTS_DEFAULTS, type WithWritOptions, type WritToolsOptions } from './options.js';
export { withWrit, writTools } from './with-writ.js';

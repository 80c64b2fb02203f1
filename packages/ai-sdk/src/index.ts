/**
 * `@writ/ai-sdk`: Writ for the Vercel AI SDK. {@link writTools} runs every tool call of a `ToolSet`
 * through the Writ pipeline (policy decision, credential, audit records, `execute_tool` span);
 * {@link writToolApproval} lets Writ's policy drive the AI SDK's native tool approval flow, and
 * {@link recordApprovalDenials} records the calls a human declined.
 * @packageDocumentation
 * @module @writ/ai-sdk
 */

export {
  recordApprovalDenials,
  type WritToolApprovalFunction,
  type WritToolApprovalOptions,
  writToolApproval,
} from './approval-flow.js';
export type { WritApprovalAnswer } from './pending-approvals.js';
export { type ApproverOption, FRAMEWORK, type ToolCallInfo } from './registry.js';
export { type ToolSetArgs, type WritToolsOptions, writTools } from './writ-tools.js';

/**
 * `@writ/langchain`: Writ for LangChain and LangGraph. Every tool call an agent makes is validated,
 * decided by policy, approved through LangGraph's `interrupt()` when the policy asks for it,
 * credentialed, recorded in the tamper-evident audit log and traced, and refusals reach the model as
 * error `ToolMessage`s instead of crashing the run.
 *
 * - {@link writMiddleware}: a `createAgent` middleware (`wrapToolCall`).
 * - {@link writTool} / {@link writTools}: wrap tools for LangGraph's `ToolNode` (or any other caller).
 *
 * @packageDocumentation
 * @module @writ/langchain
 */
export {
  approvalAnswerSchema,
  isWritApprovalRequest,
  WRIT_APPROVAL_REQUEST,
  type WritApprovalAnswer,
  type WritApprovalRequest,
} from './approval-flow.js';
export type { WritRefusalArtifact } from './govern.js';
export { writMiddleware } from './middleware.js';
export type {
  ApprovalMode,
  LangChainToolArgs,
  WritMiddlewareOptions,
  WritToolOptions,
} from './options.js';
export { type LangChainTool, writTool, writTools } from './tool.js';

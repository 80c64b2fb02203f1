/**
 * `@writ/core/adapter`: the kit framework adapters are built on. An adapter translates between a
 * framework and these calls; every decision, approval binding, credential, record and span is made
 * here. `@writ/ai-sdk`, `@writ/langchain`, `@writ/openai-agents`, `@writ/mcp`, `@writ/mastra` and
 * `@writ/google-adk` use nothing else of Writ's internals; an adapter for another framework needs nothing more.
 * @packageDocumentation
 * @module @writ/core/adapter
 */

// wiring a framework tool to the pipeline
export { adaptTool } from './adapter-kit/adapt-tool.js';
export type {
  AdaptedCheckOptions,
  AdaptedRejectOptions,
  AdaptedRunOptions,
  AdaptedTool,
  CallCheck,
} from './adapter-kit/adapted-tool.js';
export {
  type AdapterOptions,
  type AdapterToolHints,
  type FrameworkHooks,
  type FrameworkTool,
  type SchemaArgs,
  type ToolArgsMap,
  type ToolHints,
  checkToolHints,
  parseAdapterOptions,
} from './adapter-kit/adapter-options.js';
export { refusalMessage } from './adapter-kit/messages.js';
export type { ApprovalMode, FrameworkApproval, FrameworkRef } from './pipeline/state.js';
export type { ToolDescription } from './tool.js';
export type { ToolCall, ToolType } from './tool-call.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export type { InboundTask } from './task/task-options.js';

// approvals through the framework: the answer, the approver option, what is still pending
export {
  type ApprovalAnswerLike,
  answeredApproval,
  approverSchema,
} from './adapter-kit/approval-answer.js';
export { approvalModeOf } from './adapter-kit/approval-mode.js';
export {
  type ApprovalRequestFields,
  answeredApproverSchema,
  approvalAnswerLikeSchema,
  approvalRequestFields,
  approvalRequestFieldsSchema,
} from './adapter-kit/approval-request.js';
export { modelRefusal } from './adapter-kit/model-refusal.js';
export {
  createPendingApprovals,
  type PendingApprovals,
  type PendingApprovalsOptions,
} from './adapter-kit/pending-approvals.js';

// receipts both ways: what a callee returned about one call, recorded in the caller's outcome
export {
  formatReceiptHeader,
  parseReceiptHeader,
  parseRefusalHeader,
  RECEIPT_HEADER,
  RECEIPT_META_KEY,
  REFUSAL_HEADER,
  type RemoteCallReport,
  recordRemoteCall,
} from './receipts.js';
// sub-agents the framework starts: a delegation of the active task
export { type OpenDelegation, openDelegation } from './adapter-kit/delegation.js';

// credentials across a hop to another service (tokens per hop: one audience each)
export { type HopCredentialOptions, hopCredential } from './adapter-kit/hop-credential.js';

// context: where the attribution and the tool call live
export { ATTRIBUTION_KEY, activeContext, runInContext } from './context.js';
export { TOOL_CONTEXT_KEY } from './tool-context.js';

// propagation across processes (HTTP headers, MCP `_meta`)
export {
  type Carrier,
  type CarrierFormat,
  CORRELATION_BAGGAGE_KEY,
  correlationIdFromContext,
  type ExtractContextOptions,
  extractContext,
  extractTaskToken,
  type HeadersLike,
  type InjectContextOptions,
  injectContext,
  TASK_TOKEN_HEADER,
  TASK_TOKEN_META_KEY,
} from './propagation.js';

// spans
export { ATTR, EXECUTE_TOOL } from './telemetry.js';

/**
 * `@writ/google-adk`: tool calls of Google's Agent Development Kit (ADK) agents attributed, decided by
 * policy and audited by Writ, through one runner plugin; Writ's approvals through ADK's tool
 * confirmation (`adk_request_confirmation`).
 *
 * @example
 * ```ts
 * import { InMemoryRunner } from '@google/adk';
 * import { writPlugin } from '@writ/google-adk';
 * const runner = new InMemoryRunner({ agent, plugins: [writPlugin({ writ })] });
 * ```
 * @packageDocumentation
 * @module @writ/google-adk
 */
export {
  approvalResponse,
  isWritApprovalRequest,
  WRIT_APPROVAL_REQUEST,
  type WritApprovalAnswer,
  type WritApprovalRequest,
  type WritApprovalRequestCall,
  writApprovalRequests,
} from './approval-flow.js';
export { FRAMEWORK, type WritPluginOptions } from './options.js';
export { writPlugin } from './writ-plugin.js';

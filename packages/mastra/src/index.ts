/**
 * `@writ/mastra`: Mastra agent tools attributed, decided by policy and audited by Writ, with Writ's
 * approvals answered through Mastra's suspend / resume (`approveToolCall`, `declineToolCall`).
 *
 * @example
 * ```ts
 * import { writTools } from '@writ/mastra';
 * const agent = new Agent({ id: 'support', name: 'Support', instructions, model, tools: writTools(tools, { writ }) });
 * ```
 * @packageDocumentation
 * @module @writ/mastra
 */
export {
  isWritApprovalRequest,
  WRIT_APPROVAL_REQUEST,
  type WritApprovalAnswer,
  type WritApprovalRequest,
} from './approval-flow.js';
export {
  FRAMEWORK,
  type MastraTool,
  type MastraToolArgs,
  type WritToolsOptions,
  writTools,
} from './writ-tools.js';

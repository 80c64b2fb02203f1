/**
 * `@writ/strands`: tool calls of Strands Agents attributed, decided by policy and audited by Writ,
 * through one agent plugin; Writ's approvals through Strands interrupts.
 *
 * @example
 * ```ts
 * import { Agent } from '@strands-agents/sdk';
 * import { writPlugin } from '@writ/strands';
 * const agent = new Agent({ model, tools, plugins: [writPlugin({ writ })] });
 * ```
 * @packageDocumentation
 * @module @writ/strands
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

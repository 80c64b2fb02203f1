/**
 * `@writ/genkit`: tool calls of Genkit `generate` calls attributed, decided by policy and audited by
 * Writ, through one generate middleware; Writ's approvals through Genkit's tool interrupts
 * (`finishReason: 'interrupted'`, resumed with `resume.restart`).
 *
 * @example
 * ```ts
 * import { writMiddleware } from '@writ/genkit';
 * const response = await ai.generate({ prompt, tools, use: [writMiddleware({ writ })] });
 * ```
 * @packageDocumentation
 * @module @writ/genkit
 */
export {
  approvalRestart,
  isWritApprovalRequest,
  WRIT_APPROVAL_REQUEST,
  type WritApprovalAnswer,
  type WritApprovalInterrupt,
  type WritApprovalRequest,
  writApprovalRequests,
} from './approval-flow.js';
export { FRAMEWORK, type WritMiddlewareOptions } from './options.js';
export { writMiddleware } from './writ-middleware.js';

/**
 * `@writ/policy`: per-call decisions with embedded Cedar, remote OpenID AuthZEN and OPA, combinators,
 * shadow mode and approvals.
 * @packageDocumentation
 */

export { type ApprovalQueue, createApprovalQueue, type PendingApproval } from './approvals/approval-queue.js';
export { type ApprovalAnswer, createCallbackApprovals } from './approvals/callback-approvals.js';
export {
  CEDAR_ENGINE_DEFAULTS,
  type CedarEngine,
  type CreateCedarEngineOptions,
  createCedarEngine,
  defaultPolicyPaths,
} from './cedar/cedar-engine.js';
export {
  CALL_TOOL_ACTION,
  CEDAR_TYPES,
  type CedarContextExtension,
  type CedarRequest,
  toCedarRequest,
} from './cedar/cedar-model.js';

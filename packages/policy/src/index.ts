/**
 * `@writ/policy`: per-call decisions with embedded Cedar, remote OpenID AuthZEN and OPA, combinators,
 * shadow mode and approvals.
 * @packageDocumentation
 * @module @writ/policy
 */

export { type ApprovalQueue, createApprovalQueue, type PendingApproval } from './approvals/approval-queue.js';
export { type ApprovalAnswer, createCallbackApprovals } from './approvals/callback-approvals.js';
export {
  AUTHZEN_DISCOVERY_DEFAULTS,
  type DiscoverAuthZenPdpOptions,
  discoverAuthZenPdp,
} from './authzen/authzen-discovery.js';
export {
  AUTHZEN_DEFAULTS,
  type AuthZenBatchOptions,
  type AuthZenEngine,
  type AuthZenEngineOptions,
  createAuthZenEngine,
} from './authzen/authzen-engine.js';
export type { AuthZenHeaders } from './authzen/authzen-transport.js';
export {
  AUTHZEN_EVALUATIONS_SEMANTICS,
  type AuthZenAction,
  type AuthZenEntity,
  type AuthZenEvaluationsSemantic,
  type AuthZenPdpMetadata,
  type AuthZenRequest,
  type AuthZenResponse,
} from './authzen/authzen-types.js';
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
  resourceEntityId,
  toCedarRequest,
} from './cedar/cedar-model.js';
export {
  type CacheDecisionsOptions,
  type CachedPolicyEngine,
  cacheDecisions,
  DECISION_CACHE_DEFAULTS,
  DECISION_CACHE_IGNORED_CONTEXT,
  decisionCacheKey,
} from './combinators/decision-cache.js';
export {
  DENY_OVERRIDES_DEFAULTS,
  type DenyOverridesOptions,
  denyOverrides,
} from './combinators/deny-overrides.js';
export {
  SHADOW_DEFAULTS,
  type ShadowOnlyOptions,
  type ShadowOptions,
  type ShadowReport,
  shadow,
  shadowOnly,
} from './combinators/shadow.js';
export { type CreateOpaEngineOptions, createOpaEngine, OPA_ENGINE_DEFAULTS } from './opa/opa-engine.js';
export type { OpaDecisionDocument } from './opa/opa-result.js';

/**
 * `@writ/policy`: per-call decisions with embedded Cedar, remote OpenID AuthZEN and OPA, combinators,
 * shadow mode and approvals.
 * @packageDocumentation
 * @module @writ/policy
 */

// Approvals.
export { type ApprovalQueue, createApprovalQueue, type PendingApproval } from './approvals/approval-queue.js';
export { type ApprovalAnswer, createCallbackApprovals } from './approvals/callback-approvals.js';

// OpenID AuthZEN 1.0, a remote PDP, and the wire shapes mapRequest / mapResponse handle.
export {
  AUTHZEN_DEFAULTS,
  type AuthZenBatchOptions,
  type AuthZenEngine,
  type AuthZenEngineOptions,
  createAuthZenEngine,
} from './authzen/authzen-engine.js';
export type { AuthZenHeaders } from './authzen/authzen-transport.js';
export type {
  AuthZenAction,
  AuthZenEntity,
  AuthZenEvaluationsSemantic,
  AuthZenPdpMetadata,
  AuthZenRequest,
  AuthZenResponse,
} from './authzen/authzen-types.js';
// Cedar, embedded (the default), with the shipped policy set and the Cedar model of a call.
export {
  CEDAR_ENGINE_DEFAULTS,
  type CedarEngine,
  type CreateCedarEngineOptions,
  createCedarEngine,
  defaultPolicyPaths,
} from './cedar/cedar-engine.js';
export {
  type CedarContextExtension,
  type CedarRequest,
  resourceEntityId,
  toCedarRequest,
} from './cedar/cedar-model.js';
export { autoCedarWorkers } from './cedar/cedar-pool.js';

// Combining engines.
export {
  type CacheDecisionsOptions,
  type CachedPolicyEngine,
  cacheDecisions,
  DECISION_CACHE_DEFAULTS,
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
// OPA, through its Data API.
export { type CreateOpaEngineOptions, createOpaEngine, OPA_ENGINE_DEFAULTS } from './opa/opa-engine.js';
export type { OpaDecisionDocument } from './opa/opa-result.js';

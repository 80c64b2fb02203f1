/**
 * `@writ/core/plugin`: what identity providers, policy engines, credential brokers, approval handlers,
 * audit sinks and shared stores implement, the requests they receive, and the records they keep.
 * `@writ/identity`, `@writ/policy` and `@writ/audit` are built on it; so is anything you plug into
 * `createWrit` yourself.
 * @packageDocumentation
 * @module @writ/core/plugin
 */

// the interfaces createWrit takes
export type {
  AppendOptions,
  ApprovalHandler,
  ApprovalRequest,
  ApprovalResponse,
  AuditReceipt,
  AuditSink,
  CallCredentialRequest,
  CallOptions,
  CredentialBroker,
  Durability,
  IdentityProvider,
  PolicyEngine,
  RevokeTaskOptions,
  TaskCredentialRequest,
} from './interfaces.js';
export { runKey } from './interfaces.js';
export { assertedIdentity, denyAllPolicy } from './defaults.js';

// the stores behind framework calls: the call ledger and pending approvals (`stores` option)
export {
  alreadyExecuted,
  type CallClaim,
  type CallKey,
  type CallLedgerStore,
  createInMemoryCallLedger,
  type InMemoryCallLedgerOptions,
  type LedgerEntry,
  type SettledCall,
} from './stores/call-ledger.js';
export {
  type AnswerResult,
  type ApprovalAnswer,
  type ApprovalListQuery,
  type ApprovalStore,
  createInMemoryApprovalStore,
  type InMemoryApprovalStoreOptions,
  type PendingApproval,
} from './stores/approval-store.js';

// policy: what is asked and what is answered
export type {
  AuthorizationContext,
  AuthorizationRequest,
  Decision,
  DecisionEffect,
  Obligation,
} from './decision.js';
export { type CheckDecisionOptions, checkDecision } from './check-decision.js';
export { type ApprovalBinding, approvalBindingHash, VERIFIED_APPROVER } from './pipeline/3-approve.js';
export type { ApprovalMode } from './pipeline/state.js';
export {
  isScopeSubset,
  isValidScopeItem,
  narrowScope,
  parseScope,
  scopeCovers,
  scopeItemCovers,
} from './scope.js';

// principals and credentials
export { authorityChain, currentActor } from './attribution.js';
export {
  type Assurance,
  type Principal,
  type PrincipalKind,
  type PrincipalRef,
  toPrincipalRef,
} from './principal.js';
export {
  type CreateCredentialInput,
  type Credential,
  type CredentialRef,
  createCredential,
  toCredentialRef,
} from './credential.js';

// the records every call and task leaves, and how they are encoded
export type {
  ApprovalEvent,
  ApprovalRecord,
  ApprovalRequestedEvent,
  ApproverToken,
  AuditEvent,
  AuditEventBase,
  AuditEventKind,
  CallRecord,
  DecisionEvent,
  DecisionRecord,
  OutcomeEvent,
  RefusalRecord,
  RevocationEvent,
  TaskEndEvent,
  TaskStartEvent,
} from './audit-event.js';
export { AUDIT_EVENT_VERSION } from './audit-event.js';
export type { RemoteCallRecord } from './remote-call-record.js';
export type { InboundClaim, InboundRecord } from './inbound-record.js';
export { canonicalJson, digest, jsonSnapshot, sha256Hex } from './canonical-json.js';
export {
  resolveSharedContexts,
  SHARED_CONTEXT_KEYS,
  type SharedContext,
  type SharedContextFinding,
  type SharedContextValue,
} from './shared-context.js';

// errors
export {
  toWritError,
  WRIT_ERROR_CODES,
  WritError,
  type WritErrorCode,
  type WritErrorOptions,
} from './errors.js';
export { VERSION } from './version.js';

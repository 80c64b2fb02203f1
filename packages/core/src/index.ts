/**
 * `@writ/core`: the attribution pipeline every agent tool call passes through.
 * @packageDocumentation
 * @module @writ/core
 */
export {
  type AdaptedCheckOptions,
  type AdaptedRejectOptions,
  type AdaptedRunOptions,
  type AdaptedTool,
  type AdapterOptions,
  type AdapterToolHints,
  adaptTool,
  type CallCheck,
  type FrameworkApproval,
  type FrameworkHooks,
  type FrameworkRef,
  type FrameworkTool,
  parseAdapterOptions,
  refusalMessage,
} from './adapter.js';
export { type AgentDefinition, defineAgent } from './agent.js';
export { type AttributedOptions, attributed } from './attributed.js';
export { type Attribution, authorityChain, currentActor } from './attribution.js';
export type {
  ApprovalEvent,
  ApprovalRecord,
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
export { canonicalJson, digest, sha256Hex } from './canonical-json.js';
export { compose, type Hook } from './compose.js';
export {
  ATTRIBUTION_KEY,
  activeContext,
  getAttribution,
  runInContext,
  tryGetAttribution,
} from './context.js';
export {
  type CreateCredentialInput,
  type Credential,
  type CredentialRef,
  createCredential,
  toCredentialRef,
} from './credential.js';
export type {
  AuthorizationContext,
  AuthorizationRequest,
  Decision,
  DecisionEffect,
  Obligation,
} from './decision.js';
export { assertedIdentity, denyAllPolicy } from './defaults.js';
export {
  toWritError,
  WRIT_ERROR_CODES,
  WritError,
  type WritErrorCode,
  type WritErrorOptions,
} from './errors.js';
export {
  clockSchema,
  type FetchJsonOptions,
  type FetchLike,
  fetchJson,
  fetchSchema,
  type JsonResponse,
  raceAbort,
  safeUrl,
  signalSchema,
  timeoutSchema,
} from './fetch-json.js';
export { getGlobalWrit, setGlobalWrit } from './global.js';
export { type HttpUrlProblemOptions, httpUrlProblem, isLoopbackHost } from './http-url.js';
export { uuidv7 } from './ids.js';
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
  TaskCredentialRequest,
} from './interfaces.js';
export type { CallState, WritMiddleware } from './middleware.js';
export { DEFAULTS, validateOptions, type WritOptions } from './options.js';
export { approvalBindingHash } from './pipeline.js';
export {
  type Assurance,
  type Principal,
  type PrincipalKind,
  type PrincipalRef,
  toPrincipalRef,
} from './principal.js';
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
export { REDACTED, redact } from './redact.js';
export {
  isScopeSubset,
  isValidScopeItem,
  narrowScope,
  parseScope,
  scopeCovers,
  scopeItemCovers,
} from './scope.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export type { DelegateOptions, InboundTask, TaskHandle, TaskOptions } from './task.js';
export { ATTR, EXECUTE_TOOL } from './telemetry.js';
export type {
  ExecuteOptions,
  ToolAnnotations,
  ToolContext,
  ToolDescription,
  ToolOptions,
  WritTool,
} from './tool.js';
export type { Resource, Risk, ToolCall, ToolType } from './tool-call.js';
export { getToolContext, TOOL_CONTEXT_KEY, tryGetToolContext } from './tool-context.js';
export { VERSION } from './version.js';
export { type AttributionOptions, withAttribution } from './with-attribution.js';
export { createWrit, type Writ } from './writ.js';

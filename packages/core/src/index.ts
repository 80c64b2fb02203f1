/**
 * `@writ/core`: the attribution pipeline every agent tool call passes through. This entry point is
 * what an application uses: create an instance, define tools, open tasks and delegations, read the
 * attribution of the call in flight, propagate it over HTTP. Framework adapters build on
 * `@writ/core/adapter`; identity providers, policy engines, credential brokers and audit sinks on
 * `@writ/core/plugin`; in-memory implementations for tests are in `@writ/core/testing`.
 * @packageDocumentation
 * @module @writ/core
 */

// the instance, its options and defaults
export { createWrit, type Writ } from './writ.js';
export { WRIT_DEFAULTS, type WritOptions } from './options.js';
export type { CallState, WritMiddleware } from './middleware.js';
export { type AgentDefinition, defineAgent } from './agent.js';
export { getGlobalWrit, setGlobalWrit } from './global.js';

// tools, in their three forms
export type { ExecuteOptions, ToolAnnotations, ToolOptions, WritTool } from './tool.js';
export type { Resource, Risk } from './tool-call.js';
export { type AttributionOptions, withAttribution } from './with-attribution.js';
export { type AttributedOptions, attributed } from './decorator.js';

// tasks and delegation
export type { DelegateOptions, TaskHandle, TaskOptions } from './task/task-options.js';

// what a call in flight carries
export type { Attribution } from './attribution.js';
export { getAttribution, tryGetAttribution } from './context.js';
export { getToolContext, type ToolContext, tryGetToolContext } from './tool-context.js';
export type { Principal } from './principal.js';
export type { Credential } from './credential.js';
export type { AuthorizationRequest, Decision } from './decision.js';
export type { ApprovalHandler } from './interfaces.js';

// across services
export { runInContext } from './context.js';
export { extractContext, injectContext } from './propagation.js';
export { calleeHeaders } from './receipts.js';

// errors
export { WritError, type WritErrorCode } from './errors.js';

/**
 * `@writ/core/internal`: helpers Writ's own packages share (option validation, bounded HTTP
 * exchanges, URL rules, ids). **Not covered by semver**: anything here may change or go in any
 * release. Applications and third-party plugins should not import it.
 * @packageDocumentation
 * @module @writ/core/internal
 * @internal
 */

export { approverText, outcomeText, remoteCallText } from './approver-text.js';
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
export { type FormatIssuesOptions, formatIssues, type IssueLike } from './format-issues.js';
export { type HttpUrlProblemOptions, httpUrlProblem, isLoopbackHost } from './http-url.js';
export { fixedJson } from './canonical-json.js';
export { uuidv7 } from './ids.js';
export { limitsSchema, telemetrySettingsShape, validateOptions } from './options.js';
export { functionSchema, lazySchema } from './schemas.js';
export { isStandardSchema } from './standard-schema.js';
export {
  createSharedContextReader,
  type SharedContextMemory,
  type SharedContextReader,
  splitEvaluatedContext,
} from './shared-context.js';

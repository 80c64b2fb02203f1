/**
 * Default option values of `@writ/otel`, in one place. (There is no default service name: without the
 * `serviceName` option, the OpenTelemetry SDK names the service as the specification says.)
 *
 * @example
 * ```ts
 * import { DEFAULTS } from '@writ/otel';
 * console.log(`outgoing calls are traced under the scope "${DEFAULTS.tracerName}"`);
 * ```
 */
export const DEFAULTS = Object.freeze({
  /** Whether {@link createWritFetch} sends the task token (`Txn-Token`). @default false */
  taskToken: false,
  /** Instrumentation scope name of the CLIENT spans {@link createWritFetch} starts. @default '@writ/otel' */
  tracerName: '@writ/otel',
});

/**
 * Default option values of `@writ/otel`, in one place. (There is no default service name: without the
 * `serviceName` option, the OpenTelemetry SDK names the service as the specification says.)
 *
 * @example
 * ```ts
 * import { OTEL_DEFAULTS } from '@writ/otel';
 * console.log(`outgoing calls are traced under the scope "${OTEL_DEFAULTS.tracerName}"`);
 * ```
 */
export const OTEL_DEFAULTS = Object.freeze({
  /** Instrumentation scope name of the CLIENT spans {@link createWritFetch} starts. @default '@writ/otel' */
  tracerName: '@writ/otel',
});

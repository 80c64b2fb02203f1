/**
 * Default option values of `@writ/otel`, in one place.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from '@writ/otel';
 * console.log(`spans go to service "${process.env.OTEL_SERVICE_NAME ?? DEFAULTS.serviceName}"`);
 * ```
 */
export const DEFAULTS = Object.freeze({
  /**
   * `service.name` when neither the `serviceName` option, `OTEL_SERVICE_NAME` nor `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES` names the service.
   * @default 'writ'
   */
  serviceName: 'writ',
  /** Whether {@link createWritFetch} sends the task token (`Txn-Token`). @default false */
  taskToken: false,
  /** Instrumentation scope name of the CLIENT spans {@link createWritFetch} starts. @default '@writ/otel' */
  tracerName: '@writ/otel',
});

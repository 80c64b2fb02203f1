/**
 * `@writ/otel`: the OpenTelemetry preset for Writ. `startWritTelemetry()` starts `NodeSDK` with
 * AsyncLocalStorage context, W3C Trace Context + Baggage propagation and OTLP (http/protobuf, http/json or
 * gRPC) or console export configured by the standard `OTEL_*` variables; `createWritFetch()` / `writFetch`
 * trace outgoing HTTP calls and carry trace context, the correlation id and (on request) the task token.
 * @packageDocumentation
 * @module @writ/otel
 */
export { OTEL_DEFAULTS } from './defaults.js';
export type { TraceExporterName } from './environment.js';
export {
  type InstrumentationOption,
  type StartWritTelemetryOptions,
  startWritTelemetry,
  type WritTelemetry,
} from './start-telemetry.js';
export type { ExporterKind } from './trace-exporters.js';
export { VERSION } from './version.js';
export {
  type CreateWritFetchOptions,
  createWritFetch,
  type WritFetch,
  type WritFetchRequestInfo,
  writFetch,
} from './writ-fetch.js';

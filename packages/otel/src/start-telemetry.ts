import {
  context,
  diag,
  ProxyTracerProvider,
  propagation,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  getBooleanFromEnv,
  getStringFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import {
  NoopSpanProcessor,
  type TracerProvider as SdkTracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { toWritError } from '@writ/core/plugin';
import { z } from 'zod';
import { TRACE_EXPORTER_NAMES, type TraceExporterName, warnOnPropagators } from './environment.js';
import { createExportProcessors, type ExporterKind } from './trace-exporters.js';

/**
 * An OpenTelemetry instrumentation (or a list of them), as `NodeSDK` takes it.
 *
 * @example
 * ```ts
 * import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
 * const instrumentations: InstrumentationOption[] = [new HttpInstrumentation()];
 * await startWritTelemetry({ instrumentations });
 * ```
 */
export type InstrumentationOption = NodeSDKConfiguration['instrumentations'][number];

/**
 * Options of {@link startWritTelemetry}. Every field is optional.
 *
 * @example
 * ```ts
 * const options: StartWritTelemetryOptions = { serviceName: 'support-bot', exporter: 'otlp' };
 * const telemetry = await startWritTelemetry(options);
 * ```
 */
export interface StartWritTelemetryOptions {
  /**
   * The `service.name` resource attribute, when the code names the service: it takes precedence over
   * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, as a code setting does in the OpenTelemetry SDK.
   * Not taken from `createWrit({ service })`: that names the service in Writ's audit records only.
   * @default none: the SDK's own resolution applies (`OTEL_SERVICE_NAME`, else `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:<process>`); Writ never renames the service
   */
  serviceName?: string;
  /**
   * Where spans go: `'otlp'` (the OpenTelemetry OTLP exporter for the transport `OTEL_EXPORTER_OTLP_PROTOCOL`
   * names, `http/protobuf` by default, configured by the standard `OTEL_EXPORTER_OTLP_*` variables),
   * `'console'`, `'none'`, or any `SpanExporter` (batched). The option wins over `OTEL_TRACES_EXPORTER`.
   * @default what `OTEL_TRACES_EXPORTER` says; else 'otlp' when `OTEL_EXPORTER_OTLP_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; else 'none'
   */
  exporter?: TraceExporterName | SpanExporter;
  /** Span processors added after the exporter's own (for example a `SimpleSpanProcessor` in tests). @default [] */
  spanProcessors?: readonly SpanProcessor[];
  /** Instrumentations the SDK registers, and disables again on `shutdown()`. @default [] */
  instrumentations?: readonly InstrumentationOption[];
}

/**
 * A started OpenTelemetry SDK, as {@link startWritTelemetry} returns it.
 *
 * @example
 * ```ts
 * const telemetry: WritTelemetry = await startWritTelemetry();
 * // serverless: export before the runtime freezes
 * await telemetry.forceFlush();
 * ```
 */
export interface WritTelemetry {
  /** The underlying `NodeSDK`. */
  readonly sdk: NodeSDK;
  /**
   * The registered SDK tracer provider (`NodeTracerProvider` on OpenTelemetry JS 2.x, the `TracerProvider` of
   * `@opentelemetry/sdk-trace` on 3.x); `undefined` when the SDK is disabled (`OTEL_SDK_DISABLED=true`).
   */
  readonly tracerProvider?: SdkTracerProvider | undefined;
  /** True when `OTEL_SDK_DISABLED=true` made this a no-op: nothing registered, nothing exported. */
  readonly disabled: boolean;
  /** Where spans go; empty for `'none'` (spans still get trace ids, which propagate, but are not exported). */
  readonly exporters: readonly ExporterKind[];
  /** Exports buffered spans now. Never rejects: failures are reported through `diag`. */
  forceFlush(): Promise<void>;
  /**
   * Flushes and stops the SDK, disables the instrumentations and unregisters the OpenTelemetry globals
   * (tracer provider, context manager, propagator), so the process may start telemetry again.
   * Idempotent. Never rejects: failures are reported through `diag`.
   */
  shutdown(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const hasMethods = (v: unknown, methods: readonly string[]): boolean =>
  isObject(v) && methods.every((m) => typeof v[m] === 'function');
const isSpanExporter = (v: unknown): v is SpanExporter => hasMethods(v, ['export', 'shutdown']);
const isInstrumentation = (v: unknown): boolean => hasMethods(v, ['enable', 'disable', 'setTracerProvider']);

const optionsSchema = z.strictObject({
  serviceName: z.string().min(1).max(256).optional(),
  exporter: z
    .custom<TraceExporterName | SpanExporter>(
      (v) => (TRACE_EXPORTER_NAMES as readonly unknown[]).includes(v) || isSpanExporter(v),
      { message: "must be 'otlp', 'console', 'none' or a SpanExporter (export, shutdown)" },
    )
    .optional(),
  spanProcessors: z
    .array(
      z.custom<SpanProcessor>((v) => hasMethods(v, ['onStart', 'onEnd', 'forceFlush', 'shutdown']), {
        message: 'must be a SpanProcessor (onStart, onEnd, forceFlush, shutdown)',
      }),
    )
    .optional(),
  instrumentations: z
    .array(
      z.custom<InstrumentationOption>(
        (v) => isInstrumentation(v) || (Array.isArray(v) && v.every(isInstrumentation)),
        { message: 'must be an OpenTelemetry Instrumentation or an array of them' },
      ),
    )
    .optional(),
});

// One SDK per process, across duplicate installs (ESM and CJS copies) of this package.
const RUNNING = Symbol.for('writ.otel.running');
const registry = globalThis as typeof globalThis & { [RUNNING]?: WritTelemetry | undefined };

/**
 * Starts OpenTelemetry for a Writ service: `NodeSDK` with the AsyncLocalStorage context manager, W3C Trace
 * Context + W3C Baggage propagation (Writ carries the correlation id in baggage), and span export chosen
 * by the `exporter` option or the standard `OTEL_*` environment variables: `OTEL_TRACES_EXPORTER` (`otlp`,
 * `console`, `none`), and for OTLP the transport `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` /
 * `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` by default, `http/json`, `grpc`), each sent by the
 * OpenTelemetry exporter for it (the gRPC one is loaded only when chosen), which reads
 * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`, `_HEADERS`, `_TIMEOUT`, `_COMPRESSION` and the certificate
 * variables itself. A value the preset does not support (`OTEL_TRACES_EXPORTER=zipkin`, a misspelt
 * protocol) is refused: the promise rejects with `WRIT_OPTIONS_INVALID` naming the variable and the
 * supported values. Settings it does not follow are reported as Node process warnings (stderr). The
 * sampler follows `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, resources follow
 * `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME`. Metrics and logs stay off unless
 * `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` ask for them. Call it once, before creating your Writ
 * instance; a second call while one is running is refused with `WRIT_OPTIONS_INVALID`. With
 * `OTEL_SDK_DISABLED=true` it registers nothing and resolves with `disabled: true`. Export failures never
 * reach tool calls: they are reported through `diag` (set `OTEL_LOG_LEVEL=warn` to see them).
 *
 * @example
 * ```ts
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OTEL_SERVICE_NAME=support-bot node agent.js
 * import { createWrit } from '@writ/core';
 * import { startWritTelemetry } from '@writ/otel';
 *
 * const telemetry = await startWritTelemetry();
 * const writ = createWrit({ policy, audit });
 * process.once('SIGTERM', () => void telemetry.shutdown());
 * ```
 */
export async function startWritTelemetry(options?: StartWritTelemetryOptions): Promise<WritTelemetry> {
  const parsed = validateOptions(optionsSchema, options, 'startWritTelemetry');
  // Only a name the caller gave: otherwise NodeSDK resolves service.name from the environment, as the
  // specification says (OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then unknown_service:<process>).
  const serviceName = parsed.serviceName;

  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) {
    diag.info('@writ/otel: OTEL_SDK_DISABLED=true, OpenTelemetry is not started');
    return disabledTelemetry();
  }
  // Everything that reads the environment or loads an exporter happens before the checks below, which run
  // with the claim in one synchronous stretch: concurrent calls cannot both pass them.
  const exporters = await createExportProcessors(parsed.exporter);
  warnOnPropagators();
  const refusal = alreadyRunning();
  if (refusal !== undefined) {
    for (const { processor } of exporters) {
      processor
        .shutdown()
        .catch((error: unknown) => diag.error('@writ/otel: releasing an exporter failed', error));
    }
    throw refusal;
  }

  const extra = parsed.spanProcessors ?? [];
  const spanProcessors = [...exporters.map((e) => e.processor), ...extra];
  const instrumentations = [...(parsed.instrumentations ?? [])];
  const configuration: Partial<NodeSDKConfiguration> = {
    ...(serviceName === undefined ? {} : { serviceName }),
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    // With nothing to export, a processor that drops spans keeps a tracer provider registered, so calls
    // still get trace ids that land in audit records and propagate downstream.
    spanProcessors: spanProcessors.length > 0 ? spanProcessors : [new NoopSpanProcessor()],
    instrumentations,
  };
  if (getStringFromEnv('OTEL_METRICS_EXPORTER') === undefined) configuration.metricReaders = [];
  if (getStringFromEnv('OTEL_LOGS_EXPORTER') === undefined) configuration.logRecordProcessors = [];

  const sdk = new NodeSDK(configuration);
  let telemetry: WritTelemetry | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await sdk.shutdown();
      } catch (error) {
        diag.error('@writ/otel: shutting down the OpenTelemetry SDK failed', error);
      }
      release(instrumentations);
      if (registry[RUNNING] === telemetry) registry[RUNNING] = undefined;
    })();
    return stopping;
  };
  // Claimed before start(), in the same synchronous stretch as the check above.
  registry[RUNNING] = { sdk, disabled: false, exporters: [], forceFlush: async () => {}, shutdown };
  try {
    sdk.start();
  } catch (error) {
    release(instrumentations);
    registry[RUNNING] = undefined;
    throw toWritError(error, 'WRIT_INTERNAL', 'startWritTelemetry: the OpenTelemetry SDK did not start');
  }
  const registered = registeredTracerProvider();
  // By shape, not instanceof: the provider class lives in sdk-trace-node (OTel JS 2.x) or sdk-trace (3.x).
  const tracerProvider = hasMethods(registered, ['getTracer', 'forceFlush', 'shutdown'])
    ? (registered as SdkTracerProvider)
    : undefined;
  telemetry = Object.freeze({
    sdk,
    tracerProvider,
    disabled: false,
    exporters: Object.freeze(exporters.map((e) => e.kind)),
    async forceFlush() {
      try {
        await tracerProvider?.forceFlush();
      } catch (error) {
        diag.error('@writ/otel: flushing spans failed', error);
      }
    },
    shutdown,
  });
  registry[RUNNING] = telemetry;
  diag.debug(
    `@writ/otel: OpenTelemetry started${serviceName === undefined ? '' : ` for service "${serviceName}"`}, exporting to ${
      exporters.map((e) => (e.protocol === undefined ? e.kind : `${e.kind} (${e.protocol})`)).join(', ') ||
      'nothing'
    }`,
  );
  return telemetry;
}

function disabledTelemetry(): WritTelemetry {
  const sdk = new NodeSDK({ spanProcessors: [], metricReaders: [], logRecordProcessors: [] });
  sdk.start(); // a no-op while OTEL_SDK_DISABLED is true
  return Object.freeze({
    sdk,
    tracerProvider: undefined,
    disabled: true,
    exporters: Object.freeze([]),
    forceFlush: async () => {},
    shutdown: async () => {},
  });
}

/** Why a start must be refused (one SDK per process), or `undefined`. */
function alreadyRunning(): WritError | undefined {
  if (registry[RUNNING] !== undefined) {
    return new WritError(
      'WRIT_OPTIONS_INVALID',
      'startWritTelemetry: OpenTelemetry is already started in this process; one SDK per process. ' +
        'Reuse the WritTelemetry the first call returned, or await its shutdown() before starting again',
      { details: { reason: 'already_started' } },
    );
  }
  if (foreignTracerProvider() !== undefined) {
    return new WritError(
      'WRIT_OPTIONS_INVALID',
      'startWritTelemetry: another OpenTelemetry tracer provider is already registered in this process; ' +
        'one SDK per process. Use that SDK (Writ spans go through @opentelemetry/api) or shut it down first',
      { details: { reason: 'foreign_sdk' } },
    );
  }
  return undefined;
}

function registeredTracerProvider(): TracerProvider {
  const current = trace.getTracerProvider();
  return current instanceof ProxyTracerProvider ? current.getDelegate() : current;
}

/** The tracer provider someone else registered, if any. */
function foreignTracerProvider(): TracerProvider | undefined {
  const registered = registeredTracerProvider();
  // An unregistered API answers with its no-op provider, the same one a fresh proxy delegates to.
  return registered === new ProxyTracerProvider().getDelegate() ? undefined : registered;
}

function release(instrumentations: readonly InstrumentationOption[]): void {
  for (const instrumentation of instrumentations.flat()) {
    try {
      instrumentation.disable();
    } catch (error) {
      diag.error(`@writ/otel: disabling ${instrumentation.instrumentationName} failed`, error);
    }
  }
  trace.disable();
  context.disable();
  propagation.disable();
}

import { getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';
import { WritError } from '@writ/core';

/**
 * Built-in trace exporters, named as `OTEL_TRACES_EXPORTER` names them.
 *
 * @example
 * ```ts
 * const exporter: TraceExporterName = process.env.NODE_ENV === 'development' ? 'console' : 'otlp';
 * await startWritTelemetry({ exporter });
 * ```
 */
export type TraceExporterName = 'otlp' | 'console' | 'none';

/** The `OTEL_TRACES_EXPORTER` values the preset builds; any other value is refused at start. */
export const TRACE_EXPORTER_NAMES: readonly TraceExporterName[] = Object.freeze(['otlp', 'console', 'none']);

/** The OTLP transports of the specification (`OTEL_EXPORTER_OTLP_PROTOCOL`), the default first. */
export const OTLP_PROTOCOLS = Object.freeze(['http/protobuf', 'http/json', 'grpc'] as const);

/** An OTLP transport: protobuf or JSON over HTTP, or protobuf over gRPC. */
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The propagators the preset registers, as `OTEL_PROPAGATORS` names them. */
const PROPAGATORS = ['tracecontext', 'baggage'];

const isTraceExporterName = (name: string): name is TraceExporterName =>
  (TRACE_EXPORTER_NAMES as readonly string[]).includes(name);
const isOtlpProtocol = (name: string): name is OtlpProtocol =>
  (OTLP_PROTOCOLS as readonly string[]).includes(name);

/**
 * The exporters `OTEL_TRACES_EXPORTER` lists (values are case-insensitive, as the specification says of
 * enums), or `undefined` when it is unset or empty. A value the preset does not build (`zipkin`, `jaeger`, a
 * typo) is refused with `WRIT_OPTIONS_INVALID` naming the variable and the supported values: ignoring it
 * would lose every span without a word. `none` next to other exporters is ignored, with a warning.
 */
export function tracesExportersFromEnv(): Exclude<TraceExporterName, 'none'>[] | undefined {
  const listed = [
    ...new Set((getStringListFromEnv('OTEL_TRACES_EXPORTER') ?? []).map((name) => name.toLowerCase())),
  ].filter((name) => name !== 'null'); // 'null' is ignored, as the OpenTelemetry JS SDK does
  if (listed.length === 0) return undefined;
  const unsupported = listed.filter((name) => !isTraceExporterName(name));
  if (unsupported.length > 0) {
    throw unsupportedValue(
      'OTEL_TRACES_EXPORTER',
      unsupported,
      TRACE_EXPORTER_NAMES,
      'To send spans to another kind of backend, pass its SpanExporter as the `exporter` option, or send OTLP ' +
        'to an OpenTelemetry Collector that forwards them (Jaeger takes OTLP itself)',
    );
  }
  const chosen = listed.filter((name): name is 'otlp' | 'console' => name !== 'none');
  if (chosen.length > 0 && listed.includes('none')) {
    warn(`OTEL_TRACES_EXPORTER lists "none" with other exporters; exporting to ${chosen.join(', ')}`);
  }
  return chosen;
}

/**
 * The OTLP transport for traces: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`,
 * else `http/protobuf` (the specification's default). Case-insensitive; any other value is refused with
 * `WRIT_OPTIONS_INVALID` naming the variable that holds it.
 */
export function otlpTracesProtocolFromEnv(): OtlpProtocol {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const raw = getStringFromEnv(variable);
    if (raw === undefined) continue;
    const protocol = raw.trim().toLowerCase();
    if (isOtlpProtocol(protocol)) return protocol;
    throw unsupportedValue(variable, [raw], OTLP_PROTOCOLS);
  }
  return OTLP_PROTOCOLS[0];
}

/**
 * Warns when `OTEL_PROPAGATORS` asks for anything but W3C trace context and baggage, which the preset always
 * registers (Writ carries the correlation id in baggage): the variable is not silently ignored.
 */
export function warnOnPropagators(): void {
  const listed = getStringListFromEnv('OTEL_PROPAGATORS')?.map((name) => name.toLowerCase());
  if (listed === undefined) return;
  const same = listed.length === PROPAGATORS.length && PROPAGATORS.every((name) => listed.includes(name));
  if (!same) {
    warn(
      `OTEL_PROPAGATORS="${process.env.OTEL_PROPAGATORS}" is ignored: the preset always propagates W3C ` +
        'trace context and baggage (tracecontext,baggage); for other propagators, start NodeSDK yourself',
    );
  }
}

/**
 * Tells the user about a setting the preset does not follow, through Node's process warnings: printed on
 * stderr (unless the process runs with `--no-warnings`), and seen by `process.on('warning')` listeners.
 * Not through `diag`: at start no OpenTelemetry logger is registered yet, so a `diag` warning would
 * print nothing.
 */
export function warn(message: string): void {
  process.emitWarning(`@writ/otel: ${message}`, { type: 'WritTelemetryWarning', code: 'WRIT_OTEL_CONFIG' });
}

function unsupportedValue(
  variable: string,
  values: readonly string[],
  supported: readonly string[],
  hint?: string,
): WritError {
  const quoted = values.map((v) => `"${v}"`).join(', ');
  return new WritError(
    'WRIT_OPTIONS_INVALID',
    `startWritTelemetry: ${variable} has ${quoted}, which the preset does not support; supported values: ` +
      `${supported.join(', ')}${hint === undefined ? '' : `. ${hint}`}`,
    {
      details: {
        reason: 'unsupported_value',
        variable,
        value: process.env[variable] ?? '',
        supported: [...supported],
      },
    },
  );
}

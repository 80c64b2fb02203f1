import { getStringFromEnv } from '@opentelemetry/core';
import {
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { toWritError } from '@writ/core/plugin';
import { createBatchSpanProcessor } from './batch-span-processor.js';
import {
  type OtlpProtocol,
  otlpTracesProtocolFromEnv,
  type TraceExporterName,
  tracesExportersFromEnv,
} from './environment.js';
import { createOtlpTraceExporter } from './otlp-exporter.js';

/**
 * What a started {@link WritTelemetry} exports to: OTLP, the console, or an exporter you passed.
 *
 * @example
 * ```ts
 * const telemetry = await startWritTelemetry();
 * if (!telemetry.exporters.includes('otlp')) console.warn('set OTEL_EXPORTER_OTLP_ENDPOINT to export spans');
 * ```
 */
export type ExporterKind = 'otlp' | 'console' | 'custom';

/** One export path: the processor that feeds an exporter, and what kind of exporter it is. */
export interface ExportProcessor {
  readonly kind: ExporterKind;
  readonly processor: SpanProcessor;
  /** The OTLP transport, for `kind: 'otlp'`. */
  readonly protocol?: OtlpProtocol;
}

/**
 * The span processors for the `exporter` option, else for `OTEL_TRACES_EXPORTER`, else OTLP when an OTLP
 * endpoint variable is set, else none. OTLP goes over the transport `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`
 * names (`http/protobuf` by default) and is batched (`OTEL_BSP_*`); the console exporter prints each span as it
 * ends; a custom exporter is batched. Unsupported variable values are refused (see ./environment.ts).
 */
export async function createExportProcessors(
  option: TraceExporterName | SpanExporter | undefined,
): Promise<ExportProcessor[]> {
  const chosen = chooseExporters(option);
  const protocol = chosen.includes('otlp') ? otlpTracesProtocolFromEnv() : undefined;
  return Promise.all(
    chosen.map(async (exporter): Promise<ExportProcessor> => {
      if (exporter === 'console') {
        return {
          kind: 'console',
          processor: new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }),
        };
      }
      if (exporter === 'otlp') {
        const transport = protocol ?? otlpTracesProtocolFromEnv();
        const otlp = await createOtlpTraceExporter(transport).catch((error: unknown) => {
          throw toWritError(
            error,
            'WRIT_INTERNAL',
            `startWritTelemetry: the ${transport} OTLP exporter did not load`,
          );
        });
        return { kind: 'otlp', processor: createBatchSpanProcessor(otlp), protocol: transport };
      }
      return { kind: 'custom', processor: createBatchSpanProcessor(exporter) };
    }),
  );
}

function chooseExporters(
  option: TraceExporterName | SpanExporter | undefined,
): (Exclude<TraceExporterName, 'none'> | SpanExporter)[] {
  // The option is the code equivalent of the variable, and wins over it.
  if (option !== undefined) return option === 'none' ? [] : [option];
  const listed = tracesExportersFromEnv();
  if (listed !== undefined) return listed;
  const endpoint =
    getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  return endpoint === undefined ? [] : ['otlp'];
}

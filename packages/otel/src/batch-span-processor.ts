import { getNumberFromEnv } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type BatchSpanProcessorOptions,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';

/** The batch span processor's settings and the `OTEL_BSP_*` variables that set them (specification names). */
const SETTINGS = [
  ['scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY'],
  ['exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT'],
  ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE'],
  ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
] as const;

/**
 * A `BatchSpanProcessor` for `exporter`, configured by the `OTEL_BSP_*` environment variables. The
 * processor of `@opentelemetry/sdk-trace` reads no environment itself (the SDK that builds it does), so
 * the preset reads the variables here; unset or empty ones keep the processor's defaults.
 */
export function createBatchSpanProcessor(exporter: SpanExporter): SpanProcessor {
  const options: BatchSpanProcessorOptions = { exporter };
  for (const [setting, variable] of SETTINGS) {
    const value = getNumberFromEnv(variable);
    if (value !== undefined) options[setting] = value;
  }
  return new BatchSpanProcessor(options);
}

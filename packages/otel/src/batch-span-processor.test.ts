import type { ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { isolateOtel } from './__support__/env.js';
import { createBatchSpanProcessor } from './batch-span-processor.js';

isolateOtel();

/** An in-memory exporter that also remembers every batch it was handed (its own store empties on shutdown). */
class BatchRecorder extends InMemorySpanExporter {
  readonly batches: number[] = [];
  readonly names: string[] = [];
  override export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans.length);
    this.names.push(...spans.map((s) => s.name));
    super.export(spans, done);
  }
}

async function endSpans(count: number): Promise<BatchRecorder> {
  const exporter = new BatchRecorder();
  const provider = new TracerProvider({ spanProcessors: [createBatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < count; i++) tracer.startSpan(`span ${i}`).end();
  await provider.forceFlush();
  await provider.shutdown();
  return exporter;
}

describe('createBatchSpanProcessor', () => {
  it('batches with the processor defaults when no OTEL_BSP_* variable is set', async () => {
    const exporter = await endSpans(5);
    expect(exporter.batches).toEqual([5]);
  });

  it('takes the batch size from OTEL_BSP_MAX_EXPORT_BATCH_SIZE', async () => {
    process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = '2';
    const exporter = await endSpans(5);
    expect(exporter.batches).toEqual([2, 2, 1]);
  });

  it('takes the queue size from OTEL_BSP_MAX_QUEUE_SIZE: batches fit in it, spans beyond it are dropped', async () => {
    process.env.OTEL_BSP_MAX_QUEUE_SIZE = '2';
    const exporter = await endSpans(5); // ended back to back, faster than the queue drains
    expect(Math.max(...exporter.batches)).toBe(2);
    expect(exporter.names.length).toBeLessThan(5);
    expect(exporter.names.slice(0, 2)).toEqual(['span 0', 'span 1']);
  });

  it('ignores a value that is not a number, as the specification asks', async () => {
    process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = 'lots';
    const exporter = await endSpans(5);
    expect(exporter.batches).toEqual([5]);
  });
});

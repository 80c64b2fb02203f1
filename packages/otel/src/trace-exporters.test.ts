// Which exporters a start builds: the `exporter` option, OTEL_TRACES_EXPORTER, the endpoint default, and
// the user's extra span processors (through startWritTelemetry, as users call it).
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { WritError } from '@writ/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isolateOtel } from './__support__/env.js';
import { type Loopback, startLoopback } from './__support__/loopback.js';
import { startWritTelemetry } from './index.js';

const { start } = isolateOtel();

let collector: Loopback | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

describe('choosing the exporter', () => {
  it("exports nothing by default, yet spans still get trace ids that propagate ('none')", async () => {
    const telemetry = await start();
    expect(telemetry.exporters).toEqual([]);
    expect(telemetry.tracerProvider).toBeDefined();
    const headers: Record<string, string> = {};
    trace.getTracer('test').startActiveSpan('local', (span) => {
      expect(span.isRecording()).toBe(true);
      propagation.inject(context.active(), headers);
      span.end();
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('lets OTEL_TRACES_EXPORTER=none win over a configured endpoint', async () => {
    collector = await startLoopback();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_TRACES_EXPORTER = 'none';
    const telemetry = await start();
    expect(telemetry.exporters).toEqual([]);
    trace.getTracer('test').startSpan('kept local').end();
    await telemetry.shutdown();
    expect(collector.requests).toHaveLength(0);
  });

  it("prints spans with exporter: 'console'", async () => {
    const dir = vi.spyOn(console, 'dir').mockImplementation(() => {});
    try {
      const telemetry = await start({ exporter: 'console' });
      expect(telemetry.exporters).toEqual(['console']);
      trace.getTracer('test').startSpan('printed span').end();
      await telemetry.forceFlush();
      const printed = dir.mock.calls.map(([value]) => value as { name?: string });
      expect(printed.map((p) => p.name)).toContain('printed span');
    } finally {
      dir.mockRestore();
    }
  });

  it('reads OTEL_TRACES_EXPORTER (otlp,console) and exports to both', async () => {
    collector = await startLoopback();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_TRACES_EXPORTER = 'otlp, console';
    const dir = vi.spyOn(console, 'dir').mockImplementation(() => {});
    try {
      const telemetry = await start();
      expect(telemetry.exporters).toEqual(['otlp', 'console']);
      trace.getTracer('test').startSpan('both ways').end();
      await telemetry.shutdown();
      expect(dir).toHaveBeenCalled();
      expect(collector.requests).toHaveLength(1);
    } finally {
      dir.mockRestore();
    }
  });

  it('refuses an exporter it does not build (zipkin) at start, loudly, and registers nothing', async () => {
    collector = await startLoopback();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_TRACES_EXPORTER = 'otlp,zipkin';
    const error = await startWritTelemetry().catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).message).toMatch(
      /^startWritTelemetry: OTEL_TRACES_EXPORTER has "zipkin", which the preset does not support; supported values: otlp, console, none\./,
    );
    expect(trace.getTracer('test').startSpan('x').isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);
    // The option is the code equivalent of the variable and wins over it: nothing to refuse then.
    await expect(start({ exporter: 'none' })).resolves.toMatchObject({ exporters: [] });
  });

  it('tells the user about a setting it does not follow with a Node process warning, not a silent diag', async () => {
    // No diag logger is registered (as in an application at start): a diag.warn would print nothing.
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      process.env.OTEL_TRACES_EXPORTER = 'none,console';
      process.env.OTEL_PROPAGATORS = 'b3';
      const telemetry = await start();
      expect(telemetry.exporters).toEqual(['console']);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((w) => [w.name, w.message])).toEqual([
      [
        'WritTelemetryWarning',
        '@writ/otel: OTEL_TRACES_EXPORTER lists "none" with other exporters; exporting to console',
      ],
      ['WritTelemetryWarning', expect.stringMatching(/^@writ\/otel: OTEL_PROPAGATORS="b3" is ignored/)],
    ]);
  });

  it('adds the given span processors without touching the caller array', async () => {
    const memory = new InMemorySpanExporter();
    const spanProcessors = Object.freeze([new SimpleSpanProcessor({ exporter: memory })]);
    const options = Object.freeze({ exporter: 'none' as const, spanProcessors });
    const telemetry = await start(options);
    trace.getTracer('test').startSpan('seen by the extra processor').end();
    await telemetry.forceFlush();
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['seen by the extra processor']);
    expect(spanProcessors).toHaveLength(1);
    expect(telemetry.exporters).toEqual([]);
  });
});

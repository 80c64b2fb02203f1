import { WritError } from '@writ/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isolateOtel } from './__support__/env.js';
import { otlpTracesProtocolFromEnv, tracesExportersFromEnv, warnOnPropagators } from './environment.js';

isolateOtel();

/** Process warnings emitted while the test runs (they are delivered on a later tick). */
function captureWarnings(): { messages: () => Promise<string[]>; warnings: Error[] } {
  const warnings: Error[] = [];
  const listener = (warning: Error) => warnings.push(warning);
  process.on('warning', listener);
  onTestFinished(() => void process.off('warning', listener));
  return {
    warnings,
    messages: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return warnings.map((w) => w.message);
    },
  };
}

function refusal(read: () => unknown): WritError {
  let error: unknown;
  try {
    read();
  } catch (e) {
    error = e;
  }
  expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
  return error as WritError;
}

describe('OTEL_TRACES_EXPORTER', () => {
  it('is undefined when unset or empty (the caller applies its default)', () => {
    expect(tracesExportersFromEnv()).toBeUndefined();
    process.env.OTEL_TRACES_EXPORTER = ' ';
    expect(tracesExportersFromEnv()).toBeUndefined();
  });

  it('lists otlp and console, case-insensitively and once each', () => {
    process.env.OTEL_TRACES_EXPORTER = 'OTLP, console,otlp';
    expect(tracesExportersFromEnv()).toEqual(['otlp', 'console']);
    process.env.OTEL_TRACES_EXPORTER = 'none';
    expect(tracesExportersFromEnv()).toEqual([]);
  });

  it.each([
    ['zipkin', '"zipkin"'],
    ['jaeger', '"jaeger"'],
    ['otpl', '"otpl"'],
    ['logging', '"logging"'],
    ['otlp,zipkin', '"zipkin"'],
  ])('refuses %s, naming the variable, the value and the supported values', (value, named) => {
    process.env.OTEL_TRACES_EXPORTER = value;
    const error = refusal(tracesExportersFromEnv);
    expect(error.message).toContain(`OTEL_TRACES_EXPORTER has ${named}, which the preset does not support`);
    expect(error.message).toContain('supported values: otlp, console, none');
    expect(error.details).toEqual({
      reason: 'unsupported_value',
      variable: 'OTEL_TRACES_EXPORTER',
      value,
      supported: ['otlp', 'console', 'none'],
    });
  });

  it('exports to the others when "none" is listed with them, and warns so through a process warning', async () => {
    const seen = captureWarnings();
    process.env.OTEL_TRACES_EXPORTER = 'none,console';
    expect(tracesExportersFromEnv()).toEqual(['console']);
    expect(await seen.messages()).toEqual([
      '@writ/otel: OTEL_TRACES_EXPORTER lists "none" with other exporters; exporting to console',
    ]);
    expect(seen.warnings[0]?.name).toBe('WritTelemetryWarning');
    expect((seen.warnings[0] as Error & { code?: string }).code).toBe('WRIT_OTEL_CONFIG');
  });
});

describe('OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', () => {
  it("defaults to the specification's http/protobuf", () => {
    expect(otlpTracesProtocolFromEnv()).toBe('http/protobuf');
  });

  it('reads the generic variable, and the traces variable over it, case-insensitively', () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    expect(otlpTracesProtocolFromEnv()).toBe('grpc');
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = ' HTTP/JSON ';
    expect(otlpTracesProtocolFromEnv()).toBe('http/json');
  });

  it('refuses an unknown transport, naming the variable that holds it', () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuff';
    const generic = refusal(otlpTracesProtocolFromEnv);
    expect(generic.message).toBe(
      'startWritTelemetry: OTEL_EXPORTER_OTLP_PROTOCOL has "http/protobuff", which the preset does not ' +
        'support; supported values: http/protobuf, http/json, grpc',
    );

    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'thrift';
    expect(refusal(otlpTracesProtocolFromEnv).details).toMatchObject({
      variable: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      value: 'thrift',
    });
  });
});

describe('OTEL_PROPAGATORS', () => {
  it('is quiet when unset or when it names what the preset registers', async () => {
    const seen = captureWarnings();
    warnOnPropagators();
    process.env.OTEL_PROPAGATORS = 'baggage, TraceContext';
    warnOnPropagators();
    expect(await seen.messages()).toEqual([]);
  });

  it('warns that other propagators are not followed, instead of ignoring the variable silently', async () => {
    const seen = captureWarnings();
    process.env.OTEL_PROPAGATORS = 'b3';
    warnOnPropagators();
    process.env.OTEL_PROPAGATORS = 'tracecontext';
    warnOnPropagators();
    const messages = await seen.messages();
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^@writ\/otel: OTEL_PROPAGATORS="b3" is ignored: .*tracecontext,baggage/);
    expect(messages[1]).toMatch(/OTEL_PROPAGATORS="tracecontext" is ignored/);
  });
});

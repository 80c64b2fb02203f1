import {
  context,
  type DiagLogger,
  DiagLogLevel,
  diag,
  propagation,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { WritError } from '@writ/core';
import { CORRELATION_BAGGAGE_KEY } from '@writ/core/adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isolateOtel } from './__support__/env.js';
import { type Loopback, startLoopback } from './__support__/loopback.js';
import { decodeHttp, spansOf } from './__support__/otlp-receivers.js';
import { ALICE, setupWrit } from './__support__/writ.js';
import {
  type InstrumentationOption,
  type StartWritTelemetryOptions,
  startWritTelemetry,
  VERSION,
} from './index.js';

const { start } = isolateOtel();

let collector: Loopback | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

function captureDiag(): { warn: string[]; error: string[] } {
  const seen = { warn: [] as string[], error: [] as string[] };
  const ignore = () => {};
  const logger: DiagLogger = {
    error: (message, ...args) => seen.error.push([message, ...args.map(String)].join(' ')),
    warn: (message) => seen.warn.push(message),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return seen;
}

describe('startWritTelemetry with a Writ task', () => {
  it('exports the execute_tool span with the writ attributes; the correlation id travels in baggage', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = await start({ serviceName: 'support-bot', exporter });
    expect(telemetry.exporters).toEqual(['custom']);
    expect(telemetry.disabled).toBe(false);

    const { writ, audit } = setupWrit();
    const seen: { baggage?: string; headers: Record<string, string> } = { headers: {} };
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      risk: 'low',
      execute: async ({ orderId }) => {
        seen.baggage = propagation.getBaggage(context.active())?.getEntry(CORRELATION_BAGGAGE_KEY)?.value;
        propagation.inject(context.active(), seen.headers);
        return { orderId };
      },
    });
    const attribution = await writ.task({ requester: ALICE, agent: 'support' }, async (task) => {
      await lookup.execute({ orderId: '42' }, { toolCallId: 'call_1' });
      return task.attribution;
    });
    await telemetry.forceFlush();

    const [span, ...others] = exporter.getFinishedSpans().filter((s) => s.name.startsWith('execute_tool'));
    expect(others).toHaveLength(0);
    expect(span?.name).toBe('execute_tool lookup_order');
    expect(span?.kind).toBe(SpanKind.INTERNAL);
    expect(span?.resource.attributes['service.name']).toBe('support-bot');
    const decision = audit.ofKind('decision')[0];
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.agent.name': 'support',
      'enduser.id': 'alice@example.com',
      'writ.task.id': attribution.taskId,
      'writ.correlation_id': attribution.correlationId,
      'writ.agent.id': 'spiffe://writ.test/agent/support',
      'writ.chain': ['alice@example.com', 'spiffe://writ.test/agent/support'],
      'writ.policy.effect': 'allow',
      'writ.policy.ids': ['reads'],
      'writ.policy.decision_id': decision?.decision.decisionId,
      'writ.credential.jti': decision?.credential?.jti,
    });
    // The audit record points at the exported span.
    expect(decision?.traceId).toBe(span?.spanContext().traceId);

    // Inside the tool, the registered W3C propagators see the correlation id in baggage and the tool span.
    expect(seen.baggage).toBe(attribution.correlationId);
    expect(seen.headers.baggage).toContain(
      `${CORRELATION_BAGGAGE_KEY}=${encodeURIComponent(attribution.correlationId)}`,
    );
    expect(seen.headers.traceparent).toBe(
      `00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`,
    );
  });
});

describe('OTLP/HTTP export configured by the standard environment variables', () => {
  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces with OTEL_EXPORTER_OTLP_HEADERS', async () => {
    collector = await startLoopback();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-collector-key=s3cret%20value,x-tenant=writ';
    process.env.OTEL_SERVICE_NAME = 'checkout';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=test';

    const telemetry = await start();
    expect(telemetry.exporters).toEqual(['otlp']);
    const traceId = trace.getTracer('test').startActiveSpan('checkout step', (span) => {
      span.end();
      return span.spanContext().traceId;
    });
    await telemetry.shutdown();

    expect(collector.requests).toHaveLength(1);
    const [request] = collector.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/traces');
    expect(request?.headers['x-collector-key']).toBe('s3cret value');
    expect(request?.headers['x-tenant']).toBe('writ');
    // http/protobuf, the specification's default transport, decoded by the published OTLP schema.
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.body.length).toBeGreaterThan(0);
    const exports = request === undefined ? [] : decodeHttp(request);
    expect(exports[0]?.resource['service.name']).toBe('checkout');
    expect(exports[0]?.resource['deployment.environment.name']).toBe('test');
    const spans = spansOf(exports);
    expect(spans.map((s) => s.name)).toEqual(['checkout step']);
    expect(spans[0]?.traceId).toBe(traceId);
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given and OTEL_EXPORTER_OTLP_TRACES_HEADERS', async () => {
    collector = await startLoopback();
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${collector.url}/tenant-a/otlp/v1/traces`;
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'authorization=Bearer%20t0ken';
    const telemetry = await start();
    trace.getTracer('test').startSpan('one').end();
    await telemetry.shutdown();
    expect(collector.requests.map((r) => r.path)).toEqual(['/tenant-a/otlp/v1/traces']);
    expect(collector.requests[0]?.headers.authorization).toBe('Bearer t0ken');
  });

  it('follows OTEL_TRACES_SAMPLER', async () => {
    collector = await startLoopback();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    const telemetry = await start();
    const span = trace.getTracer('test').startSpan('dropped');
    expect(span.isRecording()).toBe(false);
    span.end();
    await telemetry.shutdown();
    expect(collector.requests).toHaveLength(0);
  });

  it('never throws export failures at the caller: they go to diag', async () => {
    collector = await startLoopback((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"code":3,"message":"rejected by the test collector"}');
    });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    const seen = captureDiag();
    const telemetry = await start();
    const { writ } = setupWrit();
    const ping = writ.tool({ name: 'ping', input: z.object({}), risk: 'low', execute: async () => 'pong' });

    await expect(writ.task({ requester: ALICE, agent: 'support' }, () => ping.execute({}))).resolves.toBe(
      'pong',
    );
    await expect(telemetry.forceFlush()).resolves.toBeUndefined();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    expect(collector.requests.length).toBeGreaterThan(0);
    expect(seen.error.join('\n')).toMatch(/400|Bad Request|rejected/i);
  });
});

describe('service.name: the SDK names the service, Writ never renames it', () => {
  async function resourceOf(options: StartWritTelemetryOptions = {}) {
    const memory = new InMemorySpanExporter();
    const telemetry = await start({
      ...options,
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    });
    trace.getTracer('test').startSpan('s').end();
    await telemetry.forceFlush();
    return memory.getFinishedSpans()[0]?.resource.attributes ?? {};
  }

  it('is the specification default, unknown_service:<process>, when nothing names the service', async () => {
    const attributes = await resourceOf();
    expect(attributes['service.name']).toBe(`unknown_service:${process.argv0}`);
  });

  it('takes service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is absent', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=billing,service.version=1.2.3';
    const attributes = await resourceOf();
    expect(attributes['service.name']).toBe('billing');
    expect(attributes['service.version']).toBe('1.2.3');
  });

  it('prefers OTEL_SERVICE_NAME to service.name in OTEL_RESOURCE_ATTRIBUTES', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=billing,service.version=1.2.3';
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const attributes = await resourceOf();
    expect(attributes['service.name']).toBe('checkout');
    expect(attributes['service.version']).toBe('1.2.3');
  });

  it('uses the serviceName option when the code gives one, over the environment', async () => {
    process.env.OTEL_SERVICE_NAME = 'checkout';
    expect((await resourceOf({ serviceName: 'support-bot' }))['service.name']).toBe('support-bot');
  });

  it("is independent of createWrit({ service }), which names the service in Writ's records only", async () => {
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const memory = new InMemorySpanExporter();
    const telemetry = await start({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
    const { writ, audit } = setupWrit(); // createWrit({ service: 'support', … })
    const ping = writ.tool({ name: 'ping', input: z.object({}), risk: 'low', execute: async () => 'pong' });
    await writ.task({ requester: ALICE, agent: 'support' }, () => ping.execute({}));
    await telemetry.forceFlush();

    const [span] = memory.getFinishedSpans().filter((s) => s.name === 'execute_tool ping');
    expect(span?.resource.attributes['service.name']).toBe('checkout');
    const decision = audit.ofKind('decision')[0];
    expect(decision?.service).toBe('support');
    expect(decision?.traceId).toBe(span?.spanContext().traceId);
  });
});

describe('one SDK per process', () => {
  it('refuses a second start while one runs, and allows it after shutdown()', async () => {
    const first = await start();
    const error = await startWritTelemetry().catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).message).toMatch(/already started.*one SDK per process/);
    expect((error as WritError).details).toEqual({ reason: 'already_started' });

    await first.shutdown();
    await first.shutdown(); // idempotent
    expect(trace.getTracer('after').startSpan('x').isRecording()).toBe(false);
    const second = await start();
    expect(trace.getTracer('again').startSpan('x').isRecording()).toBe(true);
    expect(second.tracerProvider).not.toBe(first.tracerProvider);
  });

  it('refuses to start over a tracer provider registered by someone else', async () => {
    trace.setGlobalTracerProvider(new TracerProvider());
    const error = await startWritTelemetry().catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).details).toEqual({ reason: 'foreign_sdk' });
  });

  it('registers the instrumentations it is given and disables them on shutdown (a stand-in instrumentation)', async () => {
    const calls: string[] = [];
    const instrumentation: Exclude<InstrumentationOption, unknown[]> = {
      instrumentationName: '@writ/test-instrumentation',
      instrumentationVersion: VERSION,
      enable: () => void calls.push('enable'),
      disable: () => void calls.push('disable'),
      setTracerProvider: () => void calls.push('setTracerProvider'),
      setMeterProvider: () => void calls.push('setMeterProvider'),
      setConfig: () => {},
      getConfig: () => ({ enabled: false }),
    };
    const telemetry = await start({ instrumentations: [instrumentation] });
    expect(calls).toContain('setTracerProvider');
    expect(calls.at(-1)).toBe('enable');
    await telemetry.shutdown();
    expect(calls.at(-1)).toBe('disable');
  });
});

describe('OTEL_SDK_DISABLED', () => {
  it('makes start a no-op with a result that says so', async () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    const telemetry = await start({ exporter: 'console' });
    expect(telemetry.disabled).toBe(true);
    expect(telemetry.exporters).toEqual([]);
    expect(telemetry.tracerProvider).toBeUndefined();
    expect(trace.getTracer('test').startSpan('x').isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);
    // Nothing was claimed: starting again is not refused.
    await expect(startWritTelemetry()).resolves.toMatchObject({ disabled: true });
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });
});

describe('options', () => {
  it('are validated eagerly, naming the bad option', async () => {
    const bad = async (options: unknown) => {
      const error = await startWritTelemetry(options as StartWritTelemetryOptions).catch((e: unknown) => e);
      expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
      return (error as WritError).message;
    };
    expect(await bad({ exporter: 'jaeger' })).toMatch(/options\.exporter: must be 'otlp', 'console', 'none'/);
    expect(await bad({ serviceName: '' })).toMatch(/options\.serviceName/);
    expect(await bad({ spanProcessors: [{}] })).toMatch(
      /options\.spanProcessors\.0: must be a SpanProcessor/,
    );
    expect(await bad({ instrumentations: ['http'] })).toMatch(/options\.instrumentations\.0/);
    expect(await bad({ colour: 'blue' })).toMatch(/unknown option\(s\) "colour"/);
    // A refused start leaves nothing registered.
    expect(propagation.fields()).toEqual([]);
  });
});

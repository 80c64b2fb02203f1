// OTLP export end to end, as users configure it (environment variables only): real OpenTelemetry exporters
// sending to receivers on 127.0.0.1 that decode the wire format with the published OTLP schema.
import { type DiagLogger, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isolateOtel } from './__support__/env.js';
import {
  decodeHttp,
  type Export,
  type GrpcReceiver,
  type HttpReceiver,
  spansOf,
  startGrpcReceiver,
  startHttpReceiver,
} from './__support__/otlp-receivers.js';
import { ALICE, setupWrit } from './__support__/writ.js';
import { startWritTelemetry } from './index.js';

const { start } = isolateOtel();

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
const http = async (...args: Parameters<typeof startHttpReceiver>) => {
  const receiver = await startHttpReceiver(...args);
  receivers.push(receiver);
  return receiver;
};
const grpc = async () => {
  const receiver = await startGrpcReceiver();
  receivers.push(receiver);
  return receiver;
};

/** Runs one Writ tool call in a task, ends the SDK (which exports), and returns what the call recorded. */
async function exportOneToolCall() {
  const telemetry = await start();
  expect(telemetry.exporters).toEqual(['otlp']);
  const { writ, audit } = setupWrit();
  const lookup = writ.tool({
    name: 'lookup_order',
    input: z.object({ orderId: z.string() }),
    risk: 'low',
    execute: async ({ orderId }) => ({ orderId }),
  });
  const attribution = await writ.task({ requester: ALICE, agent: 'support' }, async (task) => {
    await lookup.execute({ orderId: '42' }, { toolCallId: 'call_7' });
    return task.attribution;
  });
  await telemetry.shutdown();
  const decision = audit.ofKind('decision')[0];
  return { attribution, decision };
}

/** The expectations every transport must meet for the tool call above. */
function expectToolSpan(exports: Export[], sent: Awaited<ReturnType<typeof exportOneToolCall>>) {
  expect(exports.map((e) => e.resource['service.name'])).toContain('checkout');
  const [span, ...others] = spansOf(exports).filter((s) => s.name === 'execute_tool lookup_order');
  expect(others).toHaveLength(0);
  expect(span?.kind).toBe(1); // SPAN_KIND_INTERNAL
  expect(span?.traceId).toBe(sent.decision?.traceId);
  expect(span?.spanId).toBe(sent.decision?.spanId);
  expect(span?.attributes).toMatchObject({
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'lookup_order',
    'gen_ai.tool.call.id': 'call_7',
    'gen_ai.agent.name': 'support',
    'writ.task.id': sent.attribution.taskId,
    'writ.correlation_id': sent.attribution.correlationId,
    'writ.chain': ['alice@example.com', 'spiffe://writ.test/agent/support'],
    'writ.policy.effect': 'allow',
    'writ.policy.ids': ['reads'],
    'writ.policy.decision_id': sent.decision?.decision.decisionId,
  });
}

describe('OTLP transports (OTEL_EXPORTER_OTLP_PROTOCOL)', () => {
  it('sends http/protobuf by default (the specification default), to the endpoint + /v1/traces', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const sent = await exportOneToolCall();

    expect(receiver.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([
      ['POST', '/v1/traces', 'application/x-protobuf'],
    ]);
    expectToolSpan(receiver.exports(), sent);
  });

  it('sends http/json when asked, with hex ids as the OTLP JSON mapping requires', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const sent = await exportOneToolCall();

    expect(receiver.requests.map((r) => [r.path, r.headers['content-type']])).toEqual([
      ['/v1/traces', 'application/json'],
    ]);
    expectToolSpan(receiver.exports(), sent);
  });

  it('sends gRPC (TraceService/Export) when asked, with OTEL_EXPORTER_OTLP_HEADERS as metadata', async () => {
    const receiver: GrpcReceiver = await grpc();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-collector-key=s3cret%20value';
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const sent = await exportOneToolCall();

    expect(receiver.calls).toHaveLength(1);
    expect(receiver.calls[0]?.metadata['x-collector-key']).toBe('s3cret value');
    expectToolSpan(receiver.exports(), sent);
  });

  it('lets OTEL_EXPORTER_OTLP_TRACES_PROTOCOL and _TRACES_ENDPOINT override the generic variables', async () => {
    const receiver = await grpc();
    const unused = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = unused.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'grpc';
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const sent = await exportOneToolCall();

    expect(unused.requests).toHaveLength(0);
    expectToolSpan(receiver.exports(), sent);
  });

  it('refuses an unsupported protocol at start: the promise rejects, nothing is registered', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuff';
    await expect(startWritTelemetry()).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
      details: { variable: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuff' },
    });
    expect(trace.getTracer('test').startSpan('x').isRecording()).toBe(false);
  });
});

describe('OTLP/HTTP endpoint, header and timeout variables', () => {
  it('appends v1/traces to a generic endpoint that has a path', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `${receiver.url}/mycollector/`;
    const telemetry = await start();
    trace.getTracer('test').startSpan('one').end();
    await telemetry.shutdown();
    expect(receiver.requests.map((r) => r.path)).toEqual(['/mycollector/v1/traces']);
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given: no path means the root path', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = receiver.url;
    const telemetry = await start();
    trace.getTracer('test').startSpan('one').end();
    await telemetry.shutdown();
    expect(receiver.requests.map((r) => r.path)).toEqual(['/']);
    expect(spansOf(receiver.exports()).map((s) => s.name)).toEqual(['one']);
  });

  it('lets OTEL_EXPORTER_OTLP_TRACES_HEADERS override a header of OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=generic';
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'x-tenant=traces';
    const telemetry = await start();
    trace.getTracer('test').startSpan('one').end();
    await telemetry.shutdown();
    expect(receiver.requests[0]?.headers['x-tenant']).toBe('traces');
  });

  it('gives up an export after OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, over a longer generic timeout', async () => {
    // The receiver never answers: only the per-signal timeout (100 ms) ends the export; the generic one
    // (10 min) and the batch processor's (10 min) would outlast the test.
    const receiver = await http(() => {});
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '600000';
    process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT = '100';
    process.env.OTEL_BSP_EXPORT_TIMEOUT = '600000';
    const errors: string[] = [];
    const ignore = () => {};
    const logger: DiagLogger = {
      error: (message, ...args) => errors.push([message, ...args.map(String)].join(' ')),
      warn: ignore,
      info: ignore,
      debug: ignore,
      verbose: ignore,
    };
    diag.setLogger(logger, { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true });

    const telemetry = await start();
    trace.getTracer('test').startSpan('slow').end();
    await telemetry.forceFlush();
    expect(receiver.requests).toHaveLength(1);
    expect(errors.join('\n')).toMatch(/timeout|timed out/i);
  });

  it('batches by OTEL_BSP_MAX_EXPORT_BATCH_SIZE (read by the preset: sdk-trace reads no environment)', async () => {
    const receiver = await http();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = '1';
    const telemetry = await start();
    for (const name of ['a', 'b', 'c']) trace.getTracer('test').startSpan(name).end();
    await telemetry.shutdown();
    expect(receiver.requests.map((r) => spansOf(decodeHttp(r)).map((s) => s.name))).toEqual([
      ['a'],
      ['b'],
      ['c'],
    ]);
  });
});

describe('the receivers decode by the published schema', () => {
  it('reject what is not OTLP', async () => {
    const receiver: HttpReceiver = await http();
    await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(() => receiver.exports()).toThrow(/not an OTLP\/HTTP content type/);
  });
});

import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { WritError } from '@writ/core';
import { CORRELATION_BAGGAGE_KEY } from '@writ/core/adapter';
import type { FetchLike } from '@writ/core/internal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isolateOtel } from './__support__/env.js';
import { closedPort, type Loopback, startLoopback } from './__support__/loopback.js';
import { ALICE, setupWrit } from './__support__/writ.js';
import { type CreateWritFetchOptions, createWritFetch, startWritTelemetry, writFetch } from './index.js';

const { track } = isolateOtel();

let server: Loopback;
beforeEach(async () => {
  server = await startLoopback((request, response) => {
    const status = request.path.startsWith('/missing') ? 404 : 200;
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(`${request.method} ${request.path}`);
  });
});
afterEach(async () => {
  await server.close();
});

async function traced() {
  const exporter = new InMemorySpanExporter();
  const telemetry = track(
    await startWritTelemetry({
      exporter: 'none',
      spanProcessors: [new SimpleSpanProcessor({ exporter: exporter })],
    }),
  );
  return {
    async spans(): Promise<ReadableSpan[]> {
      await telemetry.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}

/** Runs `call` inside a tool inside a Writ task; returns what the task and tool saw. */
async function inTool<T>(call: () => Promise<T>) {
  const { writ, credentials } = setupWrit();
  let result: T | undefined;
  const fetchTool = writ.tool({
    name: 'fetch_order',
    input: z.object({}),
    risk: 'low',
    execute: async () => {
      result = await call();
      return 'done';
    },
  });
  const { attribution, taskToken } = await writ.task({ requester: ALICE, agent: 'support' }, async (task) => {
    await fetchTool.execute({});
    return { attribution: task.attribution, taskToken: task.credential?.token };
  });
  return { attribution, credentials, taskToken, result: result as T };
}

const header = (name: string, index = 0) => {
  const value = server.requests[index]?.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

describe('createWritFetch inside a tool call', () => {
  it('sends traceparent of its CLIENT span (child of the tool span) and the correlation id in baggage', async () => {
    const tracing = await traced();
    const { attribution, result } = await inTool(async () => {
      const response = await writFetch(`${server.url}/orders/42?token=abc&page=2`);
      return response.text();
    });
    expect(result).toBe('GET /orders/42?token=abc&page=2');

    const spans = await tracing.spans();
    const tool = spans.find((s) => s.name === 'execute_tool fetch_order');
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(tool).toBeDefined();
    expect(client?.name).toBe('HTTP GET');
    expect(client?.parentSpanContext?.spanId).toBe(tool?.spanContext().spanId);
    expect(client?.spanContext().traceId).toBe(tool?.spanContext().traceId);
    expect(client?.instrumentationScope.name).toBe('@writ/otel');

    const [version, traceId, parentId, flags] = (header('traceparent') ?? '').split('-');
    expect(version).toBe('00');
    expect(traceId).toBe(tool?.spanContext().traceId);
    expect(parentId).toBe(client?.spanContext().spanId);
    expect(flags).toBe('01');
    expect(header('baggage')).toContain(
      `${CORRELATION_BAGGAGE_KEY}=${encodeURIComponent(attribution.correlationId)}`,
    );
    expect(header('txn-token')).toBeUndefined();

    const port = Number(new URL(server.url).port);
    expect(client?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': `${server.url}/orders/42?token=REDACTED&page=REDACTED`,
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
    });
    expect(client?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('sends a credential for its audience in Txn-Token (never the task token), and nothing without one', async () => {
    await traced();
    const toPayments = createWritFetch({ audience: 'https://payments.internal' });
    const { credentials, taskToken } = await inTool(async () => {
      await toPayments(`${server.url}/with`);
      await writFetch(`${server.url}/without`);
    });
    const sent = header('txn-token', 0);
    expect(sent).toBeDefined();
    // issued by the task's broker for that audience, and not the task token
    const issued = credentials.issued.find((c) => c.token === sent);
    expect(issued?.audience).toBe('https://payments.internal');
    expect(sent).not.toBe(taskToken);
    expect(header('txn-token', 1)).toBeUndefined();
    expect(header('traceparent', 1)).toBeDefined();
  });

  it('never mutates the caller init or headers, and keeps the caller headers', async () => {
    await traced();
    const headers = new Headers({ accept: 'text/plain', 'x-caller': 'yes' });
    const init = Object.freeze({ method: 'POST', headers, body: 'refund 42' });
    const record = Object.freeze({ 'x-record': '1' });
    await inTool(async () => {
      await writFetch(`${server.url}/refunds`, init);
      await writFetch(`${server.url}/plain`, { headers: record });
    });
    expect([...headers.keys()]).toEqual(['accept', 'x-caller']);
    expect(Object.keys(record)).toEqual(['x-record']);
    const [post, plain] = server.requests;
    expect(post?.method).toBe('POST');
    expect(post?.body.toString()).toBe('refund 42');
    expect(post?.headers['x-caller']).toBe('yes');
    expect(post?.headers.traceparent).toBeDefined();
    expect(plain?.headers['x-record']).toBe('1');
    expect(plain?.headers.baggage).toBeDefined();
  });

  it('accepts a Request, keeping its method, headers and body', async () => {
    const tracing = await traced();
    await inTool(async () => {
      const request = new Request(`${server.url}/requests`, {
        method: 'PUT',
        headers: { 'x-from-request': 'kept' },
        body: JSON.stringify({ amount: 5 }),
      });
      await writFetch(request);
    });
    const [received] = server.requests;
    expect(received?.method).toBe('PUT');
    expect(received?.headers['x-from-request']).toBe('kept');
    expect(received?.headers.traceparent).toBeDefined();
    expect(JSON.parse(received?.body.toString() ?? '')).toEqual({ amount: 5 });
    const client = (await tracing.spans()).find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.attributes['http.request.method']).toBe('PUT');
  });

  it('marks HTTP error statuses on the span and still returns the response', async () => {
    const tracing = await traced();
    const { result } = await inTool(async () => (await writFetch(`${server.url}/missing`)).status);
    expect(result).toBe(404);
    const client = (await tracing.spans()).find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(client?.attributes['http.response.status_code']).toBe(404);
    expect(client?.attributes['error.type']).toBe('404');
  });

  it('records network failures on the span and rethrows them to the caller', async () => {
    const tracing = await traced();
    const port = await closedPort();
    const { result } = await inTool(async () =>
      writFetch(`http://127.0.0.1:${port}/down`).then(
        () => 'unexpected success',
        (error: unknown) => (error as Error).name,
      ),
    );
    expect(result).toBe('TypeError');
    const client = (await tracing.spans()).find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(client?.attributes['error.type']).toBe('TypeError');
    expect(client?.events.map((e) => e.name)).toContain('exception');
    expect(client?.attributes['http.response.status_code']).toBeUndefined();
  });

  it('redacts credentials in url.full and reports non-standard methods as _OTHER', async () => {
    const tracing = await traced();
    const calls: { url: string; init: RequestInit }[] = [];
    const fake: FetchLike = async (url, init) => {
      calls.push({ url, init });
      return new Response(null, { status: 204 });
    };
    const custom = createWritFetch({
      fetch: fake,
      spanName: ({ method, url }) => `${method} ${url?.pathname}`,
    });
    await inTool(() =>
      custom('https://user:pa55@api.example.com/v1/items?sig=xyz#frag', { method: 'PURGE' }),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://user:pa55@api.example.com/v1/items?sig=xyz#frag');
    expect(new Headers(calls[0]?.init.headers).get('traceparent')).toMatch(/^00-/);
    const client = (await tracing.spans()).find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.name).toBe('PURGE /v1/items');
    expect(client?.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
      'url.full': 'https://REDACTED:REDACTED@api.example.com/v1/items?sig=REDACTED',
      'server.address': 'api.example.com',
      'server.port': 443,
      'http.response.status_code': 204,
    });
  });
});

describe('createWritFetch nesting', () => {
  it('suppresses tracing below its own span, so wrapped instrumented fetches add no duplicate span', async () => {
    const tracing = await traced();
    const outer = createWritFetch({ fetch: createWritFetch() });
    await inTool(() => outer(`${server.url}/nested`));
    const clients = (await tracing.spans()).filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(1);
    // The traceparent the server saw names the one exported CLIENT span.
    expect(header('traceparent')?.split('-')[2]).toBe(clients[0]?.spanContext().spanId);
  });
});

describe('createWritFetch without an OpenTelemetry SDK', () => {
  it('still carries the correlation id in baggage (no span, so no traceparent)', async () => {
    const { attribution } = await inTool(() => writFetch(`${server.url}/bare`));
    expect(header('baggage')).toContain(
      `${CORRELATION_BAGGAGE_KEY}=${encodeURIComponent(attribution.correlationId)}`,
    );
    expect(header('traceparent')).toBeUndefined();
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});

describe('createWritFetch options', () => {
  it('are validated eagerly, naming the bad option', () => {
    const bad = (options: unknown) => {
      try {
        createWritFetch(options as CreateWritFetchOptions);
      } catch (error) {
        expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
        return (error as WritError).message;
      }
      throw new Error('expected createWritFetch to throw');
    };
    expect(bad({ audience: 42 })).toMatch(/createWritFetch: options\.audience/);
    expect(bad({ taskToken: true })).toMatch(/unknown option\(s\) "taskToken"/);
    expect(bad({ fetch: 'https://example.com' })).toMatch(/options\.fetch: must be a fetch function/);
    expect(bad({ spanName: '' })).toMatch(/options\.spanName/);
    expect(bad({ retries: 3 })).toMatch(/unknown option\(s\) "retries"/);
  });
});

describe('createWritFetch: receipts both ways', () => {
  it("records the callee's Writ-Receipt and Writ-Refusal in the calling tool's outcome, as the callee's report", async () => {
    const { writ, audit } = setupWrit();
    const leaf = 'cd'.repeat(32);
    const answers = [
      new Response('ok', {
        headers: { 'writ-receipt': `log="payments.internal/audit/1", index=4, leaf-hash="${leaf}"` },
      }),
      new Response('no', {
        status: 403,
        headers: { 'writ-receipt': 'log=1', 'writ-refusal': 'code="WRIT_POLICY_DENIED"' },
      }),
      new Response('plain'), // a callee without Writ: nothing recorded
    ];
    const fetch: FetchLike = async () => answers.shift() as Response;
    const payments = createWritFetch({ fetch, audience: 'https://payments.internal' });
    const tool = writ.tool({
      name: 'pay',
      input: z.object({}),
      risk: 'low',
      execute: async () => {
        for (const path of ['/a', '/b', '/c'])
          await payments(`https://payments.internal${path}`, { method: 'POST' });
        return 'done';
      },
    });
    await writ.task({ requester: ALICE, agent: 'support' }, () => tool.execute({}));
    expect(audit.ofKind('outcome')[0]?.outcome.remote).toEqual([
      {
        by: 'https://payments.internal',
        receipt: { index: 4, leafHash: leaf, log: 'payments.internal/audit/1' },
        tool: 'POST /a',
        via: 'http',
      },
      {
        by: 'https://payments.internal',
        problem: 'receipt: log is not a log origin',
        refusal: { code: 'WRIT_POLICY_DENIED' },
        tool: 'POST /b',
        via: 'http',
      },
    ]);
    expect(audit.ofKind('decision')[0]?.refusal).toBeUndefined();
  });
});

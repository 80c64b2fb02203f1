import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from './__support__/rejection.js';
import { type StubAnswer, type StubPdp, startStubPdp } from './__support__/stub-pdp.js';
import { type AuthZenTransportOptions, createAuthZenTransport } from './authzen-transport.js';

let stub: StubPdp;
beforeAll(async () => {
  stub = await startStubPdp();
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

const transportFor = (extra: Partial<AuthZenTransportOptions> = {}) =>
  createAuthZenTransport({ name: 'authzen', timeoutMs: 1000, maxBytes: 1024, ...extra });
const what = 'authzen: AuthZEN evaluation';
const post = (extra: Partial<AuthZenTransportOptions> = {}, body: unknown = { decision: 'please' }) =>
  transportFor(extra).post(`${stub.url}/access/v1/evaluation`, body, 'req-1', undefined, what);

describe('the AuthZEN transport (stub PDP)', () => {
  it('POSTs the body as JSON with the configured headers and the request id, returning the answer', async () => {
    stub.answer(() => ({ body: { decision: true, context: { reason: 'ok' } } }));
    const answer = await post({ headers: { authorization: 'Bearer t0ken', 'X-Request-ID': 'forged' } });
    expect(answer).toEqual({ decision: true, context: { reason: 'ok' } });
    const [sent] = stub.requests;
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/access/v1/evaluation',
      json: { decision: 'please' },
    });
    expect(sent?.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'content-type': 'application/json',
      accept: 'application/json',
      'x-request-id': 'req-1',
    });
  });

  it('calls a headers function for every request', async () => {
    let n = 0;
    const transport = transportFor({ headers: async () => ({ authorization: `Bearer token-${++n}` }) });
    expect((await transport.headers()).get('authorization')).toBe('Bearer token-1');
    stub.answer(() => ({ body: { decision: true } }));
    await transport.post(`${stub.url}/e`, {}, 'req-2', undefined, what);
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer token-2');
  });

  it('a failing headers function is WRIT_PDP_UNAVAILABLE (headers_failed), nothing sent', async () => {
    const error = await rejection(
      post({
        headers: () => {
          throw new Error('vault sealed');
        },
      }),
    );
    expect(error).toMatchObject({
      code: 'WRIT_PDP_UNAVAILABLE',
      message: 'authzen: the headers function failed',
      details: { reason: 'headers_failed' },
    });
    expect(stub.requests).toEqual([]);
  });

  it('a body with no JSON form is WRIT_PDP_UNAVAILABLE (invalid_request), nothing sent', async () => {
    const error = await rejection(post({}, { big: 1n }));
    expect(error.details).toEqual({ reason: 'invalid_request', requestId: 'req-1' });
    expect(stub.requests).toEqual([]);
  });

  it.each<[string, string, StubAnswer]>([
    ['a non-2xx status', 'http_status', { status: 503, body: { message: 'starting' } }],
    [
      'a redirect (not followed)',
      'http_status',
      { status: 302, headers: { location: 'https://evil.example.com' } },
    ],
    ['an empty body', 'empty_body', {}],
    ['a non-JSON body', 'invalid_json', { body: 'decision: yes' }],
    ['a JSON array', 'invalid_response', { body: [true] }],
    ['an oversized answer', 'response_too_large', { body: { reason: 'x'.repeat(5000) } }],
  ])('%s: WRIT_PDP_UNAVAILABLE (%s) with the endpoint and request id', async (_label, reason, answer) => {
    stub.answer(() => answer);
    const error = await rejection(post());
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details).toMatchObject({
      reason,
      requestId: 'req-1',
      endpoint: `${stub.url}/access/v1/evaluation`,
    });
  });

  it("keeps a short PDP message with every configured header's value blanked out", async () => {
    const secret = 'sk-live-0123456789abcdef';
    stub.answer(() => ({ status: 401, body: { error: `token ${secret} is not valid ${'!'.repeat(300)}` } }));
    const error = await rejection(post({ headers: { authorization: `Bearer ${secret}` } }));
    expect(error.message).toBe(`${what} answered HTTP 401`);
    const message = error.details.pdpMessage as string;
    expect(message.startsWith('token [redacted] is not valid')).toBe(true);
    expect(message).toHaveLength(200);
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
  });

  it("the caller's abort is WRIT_ABORTED", async () => {
    const error = await rejection(
      transportFor().post(`${stub.url}/e`, {}, 'req-3', AbortSignal.abort(), what),
    );
    expect(error.code).toBe('WRIT_ABORTED');
  });
});

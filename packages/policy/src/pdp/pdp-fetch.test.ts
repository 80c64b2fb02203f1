import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../authzen/__support__/rejection.js';
import { type StubPdp, startStubPdp } from '../authzen/__support__/stub-pdp.js';
import { fetchPdpJson, pdpUnavailable } from './pdp-fetch.js';

let stub: StubPdp;
beforeAll(async () => {
  stub = await startStubPdp();
});
afterAll(() => stub.close());

const options = { timeoutMs: 1000, maxBytes: 1024, what: 'test PDP' };

describe('fetchPdpJson (stub PDP)', () => {
  it('returns the status and parsed body, leaving statuses to the caller', async () => {
    stub.answer(() => ({ status: 503, body: { message: 'starting' } }));
    const response = await fetchPdpJson(`${stub.url}/v1/data/x`, { method: 'POST', body: '{}' }, options);
    expect(response).toMatchObject({ status: 503, json: { message: 'starting' }, empty: false });
  });

  it('an oversized answer is WRIT_PDP_UNAVAILABLE (response_too_large)', async () => {
    stub.answer(() => ({ body: { reason: 'x'.repeat(5000) } }));
    const error = await rejection(fetchPdpJson(`${stub.url}/e`, { method: 'GET' }, options));
    expect(error).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'response_too_large' } });
  });

  it('a refused connection is WRIT_PDP_UNAVAILABLE (network)', async () => {
    const error = await rejection(fetchPdpJson('http://127.0.0.1:1/e', { method: 'GET' }, options));
    expect(error).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'network' } });
    expect(error.message).toContain('test PDP');
  });

  it("the caller's abort is WRIT_ABORTED, nothing sent", async () => {
    stub.requests.length = 0;
    const error = await rejection(
      fetchPdpJson(`${stub.url}/e`, { method: 'GET' }, { ...options, signal: AbortSignal.abort() }),
    );
    expect(error.code).toBe('WRIT_ABORTED');
    expect(stub.requests).toEqual([]);
  });
});

describe('pdpUnavailable', () => {
  it('is WRIT_PDP_UNAVAILABLE with the details, and the cause only when given', () => {
    const cause = new Error('vault sealed');
    const withCause = pdpUnavailable(
      'authzen: the headers function failed',
      { reason: 'headers_failed' },
      cause,
    );
    expect(withCause).toMatchObject({
      code: 'WRIT_PDP_UNAVAILABLE',
      message: 'authzen: the headers function failed',
      details: { reason: 'headers_failed' },
    });
    expect(withCause.cause).toBe(cause);
    expect('cause' in pdpUnavailable('opa: no input', { reason: 'invalid_input' })).toBe(false);
  });
});

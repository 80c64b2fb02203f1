import { WritError } from '@writ/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type StubPdp, startStubPdp } from './__support__/stub-pdp.js';
import { type AuthZenEndpointsOptions, createAuthZenEndpoints } from './authzen-endpoints.js';

let stub: StubPdp;
beforeAll(async () => {
  stub = await startStubPdp();
});
afterAll(() => stub.close());

const metadataOf = (url: string) => ({
  policy_decision_point: url,
  access_evaluation_endpoint: `${url}/access/v1/evaluation`,
});
let healthy = true;
beforeEach(() => {
  stub.requests.length = 0;
  healthy = true;
  stub.answer(() => (healthy ? { body: metadataOf(stub.url) } : { status: 503, body: 'starting' }));
});

let now = 0;
const endpointsFor = (extra: Partial<AuthZenEndpointsOptions> = {}) =>
  createAuthZenEndpoints({
    pdp: stub.url,
    name: 'authzen',
    ttlMs: 1000,
    clock: () => now,
    timeoutMs: 1000,
    maxBytes: 65_536,
    allowInsecureHttp: false,
    headers: async () => new Headers({ authorization: 'Bearer t0ken' }),
    ...extra,
  });
const gets = () => stub.requests.filter((r) => r.method === 'GET').length;

describe('the endpoints an AuthZEN engine calls (stub PDP)', () => {
  it('configured endpoints: nothing discovered, missing members at their standard paths', async () => {
    const endpoints = endpointsFor({
      pdp: 'https://pdp.example.com/',
      endpoints: { evaluation: 'https://e.example.com/x' },
    });
    expect(await endpoints()).toEqual({
      policyDecisionPoint: 'https://pdp.example.com/',
      accessEvaluationEndpoint: 'https://e.example.com/x',
      accessEvaluationsEndpoint: 'https://pdp.example.com/access/v1/evaluations',
      document: {
        policy_decision_point: 'https://pdp.example.com/',
        access_evaluation_endpoint: 'https://e.example.com/x',
        access_evaluations_endpoint: 'https://pdp.example.com/access/v1/evaluations',
      },
    });
    expect(gets()).toBe(0);
  });

  it('discovers with the headers, then reuses the metadata for ttlMs', async () => {
    now = 10_000;
    const endpoints = endpointsFor();
    const metadata = await endpoints();
    expect(metadata).toMatchObject({ policyDecisionPoint: stub.url, accessEvaluationsEndpoint: undefined });
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer t0ken');
    now += 999;
    await endpoints();
    expect(gets()).toBe(1);
    now += 1;
    await endpoints();
    expect(gets()).toBe(2);
  });

  it('ttlMs 0 discovers before every request', async () => {
    const endpoints = endpointsFor({ ttlMs: 0 });
    await endpoints();
    await endpoints();
    expect(gets()).toBe(2);
  });

  it('concurrent callers share one discovery; a failed one is not remembered', async () => {
    const endpoints = endpointsFor();
    healthy = false;
    const error = await endpoints().catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    healthy = true;
    await Promise.all([endpoints(), endpoints(), endpoints()]);
    expect(gets()).toBe(2);
  });

  it('a caller giving up is WRIT_ABORTED; the shared discovery goes on for the others', async () => {
    const endpoints = endpointsFor();
    const controller = new AbortController();
    const abandoned = endpoints(controller.signal).catch((e: unknown) => e);
    const kept = endpoints();
    controller.abort();
    const error = await abandoned;
    expect(WritError.isInstance(error, 'WRIT_ABORTED')).toBe(true);
    expect((error as WritError).message).toContain('authzen: AuthZEN PDP discovery');
    expect((await kept).policyDecisionPoint).toBe(stub.url);
    expect(gets()).toBe(1);
  });
});

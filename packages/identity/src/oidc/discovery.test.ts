import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOp, type TestOp } from './__support__/op.js';
import { DISCOVERY_DEFAULTS, discoverIssuer } from './discovery.js';

let op: TestOp;
beforeAll(async () => {
  op = await startOp();
});
afterAll(() => op.close());

/** A fetch that counts the requests it forwards. */
function countingFetch(): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  const counted = (url: string, init: RequestInit) => {
    calls.push(url);
    return fetch(url, init);
  };
  return Object.assign(counted, { calls });
}

/** A fetch that answers every request with the same canned response (a stub: for answers a real OP never gives). */
function stubFetch(body: unknown, init: ResponseInit = { status: 200 }): FetchLike {
  return async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      ...init,
      headers: { 'content-type': 'application/json' },
    });
}

async function rejection(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}

describe('discoverIssuer against oidc-provider', () => {
  it('reads the endpoints of the running OP', async () => {
    const metadata = await discoverIssuer(op.issuer, { fetch: countingFetch() });
    expect(metadata.issuer).toBe(op.issuer);
    expect(metadata.jwksUri).toBe(`${op.issuer}/jwks`);
    expect(metadata.tokenEndpoint).toBe(`${op.issuer}/token`);
    expect(metadata.revocationEndpoint).toBe(`${op.issuer}/token/revocation`);
    expect(metadata.introspectionEndpoint).toBe(`${op.issuer}/token/introspection`);
    expect(metadata.grantTypesSupported).toContain('client_credentials');
    expect(metadata.document.issuer).toBe(op.issuer);
    expect(Object.isFrozen(metadata)).toBe(true);
    expect(Object.isFrozen(metadata.document)).toBe(true);
  });

  it('caches per issuer, shares concurrent requests, and refetches once the TTL has passed', async () => {
    const fetchSpy = countingFetch();
    let now = 1_000_000;
    const options = { fetch: fetchSpy, clock: () => now, cacheTtlMs: 60_000 };
    const [a, b] = await Promise.all([
      discoverIssuer(op.issuer, options),
      discoverIssuer(op.issuer, options),
    ]);
    expect(a).toBe(b);
    expect(fetchSpy.calls).toEqual([`${op.issuer}/.well-known/openid-configuration`]);
    await discoverIssuer(op.issuer, options);
    expect(fetchSpy.calls).toHaveLength(1);
    now += 60_001;
    await discoverIssuer(op.issuer, options);
    expect(fetchSpy.calls).toHaveLength(2);
  });

  it('does not cache when cacheTtlMs is 0', async () => {
    const fetchSpy = countingFetch();
    await discoverIssuer(op.issuer, { fetch: fetchSpy, cacheTtlMs: 0 });
    await discoverIssuer(op.issuer, { fetch: fetchSpy, cacheTtlMs: 0 });
    expect(fetchSpy.calls).toHaveLength(2);
  });

  it('refuses a document whose issuer differs from the configured one in any character', async () => {
    const port = new URL(op.issuer).port;
    for (const configured of [`http://localhost:${port}`, `${op.issuer}/`]) {
      const error = await rejection(discoverIssuer(configured, { cacheTtlMs: 0 }));
      expect(error.code).toBe('WRIT_IDENTITY_INVALID');
      expect(error.details).toMatchObject({ reason: 'issuer_mismatch', documentIssuer: op.issuer });
    }
  });
});

describe('discoverIssuer refusals', () => {
  it('refuses plain http for a non-loopback issuer before sending anything', async () => {
    const fetchSpy = countingFetch();
    const error = await rejection(discoverIssuer('http://login.example.com', { fetch: fetchSpy }));
    expect(error.code).toBe('WRIT_OPTIONS_INVALID');
    expect(error.message).toMatch(/https/);
    expect(fetchSpy.calls).toHaveLength(0);
  });

  it('refuses issuers with a query or fragment, and unknown options', async () => {
    await expect(discoverIssuer('https://login.example.com?tenant=1')).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    await expect(discoverIssuer('https://login.example.com#x')).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    await expect(
      discoverIssuer('https://login.example.com', { colour: 'red' } as unknown as { timeoutMs: number }),
    ).rejects.toThrow(/unknown option\(s\) "colour"/);
  });

  it('reports an unreachable issuer as WRIT_IDENTITY_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(discoverIssuer(`http://127.0.0.1:${port}`, { cacheTtlMs: 0 }));
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details.reason).toBe('network');
  });

  it('reports a timeout as WRIT_IDENTITY_UNAVAILABLE (stub fetch that never answers)', async () => {
    const hanging: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const error = await rejection(
      discoverIssuer('https://login.example.com', { fetch: hanging, timeoutMs: 20 }),
    );
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details.reason).toBe('timeout');
  });

  it("stops waiting with WRIT_ABORTED when the caller's signal fires", async () => {
    const hanging: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const controller = new AbortController();
    const pending = discoverIssuer('https://aborted.example.com', {
      fetch: hanging,
      signal: controller.signal,
    });
    controller.abort();
    expect((await rejection(pending)).code).toBe('WRIT_ABORTED');
  });

  it.each([
    ['5xx', stubFetch({}, { status: 503 }), 'WRIT_IDENTITY_UNAVAILABLE', 'http_status'],
    ['404', stubFetch({}, { status: 404 }), 'WRIT_IDENTITY_INVALID', 'http_status'],
    ['not JSON', stubFetch('<html>'), 'WRIT_IDENTITY_INVALID', 'invalid_document'],
    [
      'no jwks_uri',
      stubFetch({ issuer: 'https://login.example.com' }),
      'WRIT_IDENTITY_INVALID',
      'invalid_document',
    ],
    [
      'an http jwks_uri',
      stubFetch({ issuer: 'https://login.example.com', jwks_uri: 'http://login.example.com/jwks' }),
      'WRIT_IDENTITY_INVALID',
      'invalid_document',
    ],
    [
      'a bad token_endpoint',
      stubFetch({
        issuer: 'https://login.example.com',
        jwks_uri: 'https://login.example.com/jwks',
        token_endpoint: 7,
      }),
      'WRIT_IDENTITY_INVALID',
      'invalid_document',
    ],
    [
      'an oversized document',
      stubFetch({ issuer: 'https://login.example.com', padding: 'x'.repeat(DISCOVERY_DEFAULTS.maxBytes) }),
      'WRIT_IDENTITY_INVALID',
      'response_too_large',
    ],
  ])('refuses %s (stub response)', async (_label, fetchImpl, code, reason) => {
    const error = await rejection(
      discoverIssuer('https://login.example.com', { fetch: fetchImpl, cacheTtlMs: 0 }),
    );
    expect(error.code).toBe(code);
    expect(error.details.reason).toBe(reason);
  });

  it('does not cache failures', async () => {
    let calls = 0;
    const flaky: FetchLike = async (url, init) => {
      calls++;
      return calls === 1 ? new Response('', { status: 502 }) : fetch(url, init);
    };
    await expect(discoverIssuer(op.issuer, { fetch: flaky })).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
    });
    await expect(discoverIssuer(op.issuer, { fetch: flaky })).resolves.toMatchObject({ issuer: op.issuer });
  });
});

import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { createRemoteJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from '../jwt.js';
import { CLIENTS, introspect, PAYMENTS_API, startOp, type TestOp } from './__support__/op.js';
import { CLIENT_CREDENTIALS_DEFAULTS, createClientCredentialsSource } from './client-credentials.js';

let op: TestOp;
beforeAll(async () => {
  op = await startOp();
});
afterAll(() => op.close());

/** Forwards to the real fetch and records the path of every request. */
function countingFetch(): FetchLike & { paths: string[] } {
  const paths: string[] = [];
  return Object.assign(
    (url: string, init: RequestInit) => {
      paths.push(new URL(url).pathname);
      return fetch(url, init);
    },
    { paths },
  );
}

async function refusal(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}

/** Everything an error would show a log or a model. */
function visible(error: WritError): string {
  return `${error.message} ${JSON.stringify(error.toJSON())} ${String(error.stack)}`;
}

describe('createClientCredentialsSource against oidc-provider', () => {
  it('gets an access token the OP recognises, discovering the token endpoint from the issuer', async () => {
    const now = Date.now();
    const source = createClientCredentialsSource({
      issuer: op.issuer,
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      scope: ['orders:read', 'orders:write'],
      clock: () => now,
    });
    const token = await source.getToken({ signal: AbortSignal.timeout(10_000) });
    expect(token).toMatchObject({
      tokenType: 'Bearer',
      scope: ['orders:read', 'orders:write'],
      expiresAt: now + 600_000,
    });
    expect(await introspect(op, token.accessToken, CLIENTS.agent)).toMatchObject({
      active: true,
      client_id: CLIENTS.agent.id,
      scope: 'orders:read orders:write',
    });
    // The token itself stays out of logs and spreads.
    expect(JSON.stringify(token)).not.toContain(token.accessToken);
    expect({ ...token }).not.toHaveProperty('accessToken');
  });

  it('serves the cached token until shortly before expiry without calling the token endpoint', async () => {
    const fetchSpy = countingFetch();
    let now = Date.now();
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      fetch: fetchSpy,
      clock: () => now,
    });
    const first = await source.getToken();
    const second = await source.getToken();
    expect(second).toBe(first);
    expect(fetchSpy.paths).toEqual(['/token']);

    now += 600_000 - CLIENT_CREDENTIALS_DEFAULTS.refreshSkewSec * 1000 - 1;
    expect(await source.getToken()).toBe(first);
    now += 2;
    const renewed = await source.getToken();
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(fetchSpy.paths).toEqual(['/token', '/token']);

    source.invalidate();
    await source.getToken();
    expect(fetchSpy.paths).toHaveLength(3);
  });

  it('shares one request between concurrent callers', async () => {
    const fetchSpy = countingFetch();
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      fetch: fetchSpy,
    });
    const tokens = await Promise.all([source.getToken(), source.getToken(), source.getToken()]);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(fetchSpy.paths).toEqual(['/token']);
  });

  it('authenticates with client_secret_post when asked', async () => {
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agentPost.id,
      clientSecret: CLIENTS.agentPost.secret,
      clientAuth: 'client_secret_post',
    });
    const token = await source.getToken();
    expect(await introspect(op, token.accessToken, CLIENTS.agent)).toMatchObject({
      active: true,
      client_id: CLIENTS.agentPost.id,
    });
  });

  it('gets a JWT access token for a resource indicator, scoped to that resource', async () => {
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      resource: PAYMENTS_API,
      scope: ['payments:read', 'mail:send'],
    });
    const token = await source.getToken();
    expect(token.scope).toEqual(['payments:read']);
    const { payload } = await verifyJwt(token.accessToken, createRemoteJWKSet(new URL(`${op.issuer}/jwks`)), {
      what: 'access token',
      algorithms: ['ES256'],
      issuer: op.issuer,
      audience: PAYMENTS_API,
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ client_id: CLIENTS.agent.id, scope: 'payments:read' });
  });

  it('maps a wrong secret to WRIT_IDENTITY_INVALID with error invalid_client, and never shows the secret', async () => {
    const wrongSecret = 'not-the-secret-0123456789abcdef0123456789';
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agent.id,
      clientSecret: wrongSecret,
    });
    const error = await refusal(source.getToken());
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details).toMatchObject({ reason: 'oauth_error', error: 'invalid_client', status: 401 });
    expect(visible(error)).not.toContain(wrongSecret);
  });

  it('form-encodes the client id and secret for HTTP Basic (RFC 6749 §2.3.1)', async () => {
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agentOddSecret.id,
      clientSecret: CLIENTS.agentOddSecret.secret,
    });
    const token = await source.getToken();
    expect(await introspect(op, token.accessToken, CLIENTS.agent)).toMatchObject({
      active: true,
      client_id: CLIENTS.agentOddSecret.id,
    });
  });

  it('does not cache a failure', async () => {
    let fail = true;
    const flaky: FetchLike = (url, init) =>
      fail ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init);
    const source = createClientCredentialsSource({
      tokenEndpoint: `${op.issuer}/token`,
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      fetch: flaky,
    });
    expect((await refusal(source.getToken())).code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    fail = false;
    await expect(source.getToken()).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});

describe('createClientCredentialsSource answers a real OP does not give (stub fetch)', () => {
  const stub =
    (body: unknown, status = 200): FetchLike =>
    async () =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const make = (fetchImpl: FetchLike) =>
    createClientCredentialsSource({
      tokenEndpoint: 'https://login.example.com/token',
      clientId: 'agent',
      clientSecret: 'agent-secret',
      fetch: fetchImpl,
    });

  it('maps 5xx to WRIT_IDENTITY_UNAVAILABLE', async () => {
    const error = await refusal(make(stub({ error: 'server_error' }, 503)).getToken());
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details).toMatchObject({ status: 503, error: 'server_error' });
  });

  it('maps invalid_scope to WRIT_SCOPE_EXCEEDED', async () => {
    const error = await refusal(make(stub({ error: 'invalid_scope' }, 400)).getToken());
    expect(error.code).toBe('WRIT_SCOPE_EXCEEDED');
  });

  it('drops an error_description that quotes the secret', async () => {
    const error = await refusal(
      make(
        stub({ error: 'invalid_client', error_description: 'secret agent-secret is wrong' }, 401),
      ).getToken(),
    );
    expect(error.details.error).toBe('invalid_client');
    expect(error.details).not.toHaveProperty('errorDescription');
    expect(visible(error)).not.toContain('agent-secret');
  });

  it.each([
    ['no access_token', { token_type: 'Bearer', expires_in: 60 }],
    ['a DPoP token_type', { access_token: 'at', token_type: 'DPoP', expires_in: 60 }],
    ['a negative expires_in', { access_token: 'at', token_type: 'Bearer', expires_in: -1 }],
    ['a non-string scope', { access_token: 'at', token_type: 'Bearer', scope: ['a'] }],
  ])('refuses a response with %s', async (_label, body) => {
    const error = await refusal(make(stub(body)).getToken());
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details.reason).toBe('invalid_response');
  });

  it('does not cache a token without expires_in', async () => {
    let calls = 0;
    const source = make(async () => {
      calls++;
      return new Response(JSON.stringify({ access_token: `at-${calls}`, token_type: 'bearer' }), {
        status: 200,
      });
    });
    expect((await source.getToken()).expiresAt).toBeUndefined();
    expect((await source.getToken()).accessToken).toBe('at-2');
  });

  it("stops waiting with WRIT_ABORTED when the caller's signal fires", async () => {
    const hanging: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const controller = new AbortController();
    const pending = make(hanging).getToken({ signal: controller.signal });
    controller.abort();
    expect((await refusal(pending)).code).toBe('WRIT_ABORTED');
  });
});

describe('createClientCredentialsSource options', () => {
  it.each([
    [{ clientId: 'a', clientSecret: 's' }, /exactly one of issuer and tokenEndpoint/],
    [
      {
        issuer: 'https://login.example.com',
        tokenEndpoint: 'https://login.example.com/token',
        clientId: 'a',
        clientSecret: 's',
      },
      /exactly one/,
    ],
    [{ tokenEndpoint: 'http://login.example.com/token', clientId: 'a', clientSecret: 's' }, /https/],
    [{ tokenEndpoint: 'https://login.example.com/token', clientId: 'a', clientSecret: '' }, /clientSecret/],
    [
      { tokenEndpoint: 'https://login.example.com/token', clientId: 'a', clientSecret: 's', scope: ['a b'] },
      /scope/,
    ],
    [
      {
        tokenEndpoint: 'https://login.example.com/token',
        clientId: 'a',
        clientSecret: 's',
        clientAuth: 'none',
      },
      /clientAuth/,
    ],
  ])('refuses invalid options eagerly (%j)', (options, message) => {
    const create = () =>
      createClientCredentialsSource(options as Parameters<typeof createClientCredentialsSource>[0]);
    expect(create).toThrow(message);
    expect(create).toThrow(expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }));
  });

  it('never puts the secret into an options error', () => {
    const secret = 'super-secret-value';
    try {
      createClientCredentialsSource({ tokenEndpoint: 'nope', clientId: 'a', clientSecret: secret });
      expect.unreachable();
    } catch (error) {
      expect(visible(error as WritError)).not.toContain(secret);
    }
  });
});

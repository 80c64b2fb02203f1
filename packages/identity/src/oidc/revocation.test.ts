import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS, introspect, PAYMENTS_API, startOp, type TestOp } from './__support__/op.js';
import { createClientCredentialsSource } from './client-credentials.js';
import { discoverIssuer } from './discovery.js';
import { type RevokeTokenOptions, revokeToken } from './revocation.js';

let op: TestOp;
let revocationEndpoint: string;
beforeAll(async () => {
  op = await startOp();
  const metadata = await discoverIssuer(op.issuer);
  revocationEndpoint = metadata.revocationEndpoint as string;
});
afterAll(() => op.close());

/** A fresh opaque access token for the agent client (client credentials, no resource indicator). */
async function agentToken(resource?: string): Promise<string> {
  const source = createClientCredentialsSource({
    tokenEndpoint: `${op.issuer}/token`,
    clientId: CLIENTS.agent.id,
    clientSecret: CLIENTS.agent.secret,
    scope: ['orders:read'],
    resource,
  });
  return (await source.getToken()).accessToken;
}

async function refusal(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}

function visible(error: WritError): string {
  return `${error.message} ${JSON.stringify(error.toJSON())} ${String(error.stack)}`;
}

describe('revokeToken against oidc-provider', () => {
  it('revokes an access token: it no longer introspects as active', async () => {
    const token = await agentToken();
    expect(await introspect(op, token, CLIENTS.agent)).toMatchObject({ active: true });
    await revokeToken({
      revocationEndpoint,
      token,
      tokenTypeHint: 'access_token',
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      signal: AbortSignal.timeout(10_000),
    });
    expect(await introspect(op, token, CLIENTS.agent)).toEqual({ active: false });
  });

  it('authenticates with client_secret_post when asked', async () => {
    const token = await agentToken();
    await revokeToken({
      revocationEndpoint,
      token,
      clientId: CLIENTS.agent.id,
      clientSecret: CLIENTS.agent.secret,
      clientAuth: 'client_secret_post',
    });
    expect(await introspect(op, token, CLIENTS.agent)).toEqual({ active: false });
  });

  it('resolves for a token the server does not know (RFC 7009 §2.2)', async () => {
    await expect(
      revokeToken({
        revocationEndpoint,
        token: 'never-issued-token',
        clientId: CLIENTS.agent.id,
        clientSecret: CLIENTS.agent.secret,
      }),
    ).resolves.toBeUndefined();
  });

  it('surfaces unsupported_token_type (oidc-provider cannot revoke JWT access tokens) without the token', async () => {
    const jwt = await agentToken(PAYMENTS_API);
    expect(jwt.split('.')).toHaveLength(3);
    const error = await refusal(
      revokeToken({
        revocationEndpoint,
        token: jwt,
        clientId: CLIENTS.agent.id,
        clientSecret: CLIENTS.agent.secret,
      }),
    );
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details).toMatchObject({
      reason: 'oauth_error',
      error: 'unsupported_token_type',
      status: 400,
    });
    expect(visible(error)).not.toContain(jwt);
  });

  it('surfaces a wrong client secret as invalid_client, without the secret or the token', async () => {
    const token = await agentToken();
    const wrong = 'wrong-secret-0123456789abcdef0123456789';
    const error = await refusal(
      revokeToken({ revocationEndpoint, token, clientId: CLIENTS.agent.id, clientSecret: wrong }),
    );
    expect(error.details).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(visible(error)).not.toContain(wrong);
    expect(visible(error)).not.toContain(token);
    expect(await introspect(op, token, CLIENTS.agent)).toMatchObject({ active: true });
  });
});

describe('revokeToken failures', () => {
  const options = (extra: Partial<RevokeTokenOptions> = {}): RevokeTokenOptions => ({
    revocationEndpoint: 'https://login.example.com/revoke',
    token: 'some-token',
    clientId: 'broker',
    clientSecret: 'broker-secret',
    ...extra,
  });

  it('reports an unreachable endpoint as WRIT_IDENTITY_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await refusal(
      revokeToken(options({ revocationEndpoint: `http://127.0.0.1:${port}/revoke` })),
    );
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details.reason).toBe('network');
  });

  it('reports 503 as WRIT_IDENTITY_UNAVAILABLE (stub response)', async () => {
    const unavailable: FetchLike = async () =>
      new Response('', { status: 503, headers: { 'retry-after': '1' } });
    const error = await refusal(revokeToken(options({ fetch: unavailable })));
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
  });

  it('accepts a 200 whose body is not JSON (stub response)', async () => {
    const plain: FetchLike = async () => new Response('OK', { status: 200 });
    await expect(revokeToken(options({ fetch: plain }))).resolves.toBeUndefined();
  });

  it('sends only client_id for a public client', async () => {
    const forms: URLSearchParams[] = [];
    const headers: Headers[] = [];
    const capture: FetchLike = async (_url, init) => {
      forms.push(new URLSearchParams(String(init.body)));
      headers.push(new Headers(init.headers));
      return new Response('', { status: 200 });
    };
    await revokeToken(options({ clientSecret: undefined, fetch: capture, tokenTypeHint: 'refresh_token' }));
    expect(Object.fromEntries(forms[0] ?? [])).toEqual({
      token: 'some-token',
      token_type_hint: 'refresh_token',
      client_id: 'broker',
    });
    expect(headers[0]?.has('authorization')).toBe(false);
  });

  it.each([
    [{ revocationEndpoint: 'http://login.example.com/revoke' }, /https/],
    [{ token: '' }, /token/],
    [{ tokenTypeHint: 'access token' }, /tokenTypeHint/],
    [{ clientAuth: 'none' as const }, /must not be set/],
  ])('refuses %j eagerly', async (override, message) => {
    const error = await refusal(revokeToken(options(override)));
    expect(error.code).toBe('WRIT_OPTIONS_INVALID');
    expect(error.message).toMatch(message);
  });
});

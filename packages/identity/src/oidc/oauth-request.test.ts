// Token and revocation requests on oauth4webapi and how Writ judges the answers, against a scripted HTTP
// server on 127.0.0.1 (a real OP never gives most of these answers; the happy paths run against
// oidc-provider in the flow tests beside this file).
import type { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import { useScriptedServer } from './__support__/scripted-server.js';
import {
  MAX_OAUTH_RESPONSE_BYTES,
  type OAuthClient,
  requestRevocation,
  requestToken,
} from './oauth-request.js';

const http = useScriptedServer();
const answer = http.answer;
const tokenServer = () => ({ issuer: http.base, token_endpoint: `${http.base}/token` });
const client = (over: Partial<OAuthClient> = {}): OAuthClient => ({
  clientId: 'agent',
  clientSecret: 'agent-secret',
  timeoutMs: 5_000,
  what: 'token endpoint',
  ...over,
});
const grant = (over: Partial<OAuthClient> = {}, parameters = new URLSearchParams({ scope: 'a:read' })) =>
  requestToken(tokenServer(), 'client_credentials', parameters, client(over));
const visible = (error: WritError) =>
  `${error.message} ${JSON.stringify(error.toJSON())} ${String(error.stack)}`;

describe('token requests are built by oauth4webapi', () => {
  it('sends the grant, the parameters and HTTP Basic with the id and secret form-encoded (RFC 6749 §2.3.1)', async () => {
    answer(200, { access_token: 'at', token_type: 'Bearer', expires_in: '60', scope: 'a:read' });
    const body = await requestToken(
      tokenServer(),
      'client_credentials',
      new URLSearchParams({ scope: 'a:read' }),
      client({ clientId: 'agent:odd id', clientSecret: 'p@ss word+/:' }),
    );
    expect(body).toMatchObject({ access_token: 'at', token_type: 'bearer', expires_in: 60, scope: 'a:read' });
    const [request] = http.seen;
    expect(request?.method).toBe('POST');
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      scope: 'a:read',
    });
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const basic = Buffer.from(
      String(request?.headers.authorization).replace(/^Basic /, ''),
      'base64',
    ).toString();
    const [id, secret] = basic.split(':').map((part) => new URLSearchParams(`v=${part}`).get('v'));
    expect([id, secret]).toEqual(['agent:odd id', 'p@ss word+/:']);
  });

  it('puts the secret in the body for client_secret_post, and only client_id for a public client', async () => {
    answer(200, { access_token: 'at', token_type: 'bearer' });
    await grant({ clientAuth: 'client_secret_post' });
    expect(http.seen[0]?.form.get('client_secret')).toBe('agent-secret');
    expect(http.seen[0]?.headers.authorization).toBeUndefined();
    await grant({ clientSecret: undefined });
    expect(Object.fromEntries(http.seen[1]?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      scope: 'a:read',
      client_id: 'agent',
    });
    expect(http.seen[1]?.headers.authorization).toBeUndefined();
  });
});

describe('every answer is judged the same way', () => {
  it.each([
    [503, { error: 'temporarily_unavailable' }, 'WRIT_IDENTITY_UNAVAILABLE', 'http_status'],
    [429, undefined, 'WRIT_IDENTITY_UNAVAILABLE', 'http_status'],
    [400, { error: 'invalid_scope' }, 'WRIT_SCOPE_EXCEEDED', 'oauth_error'],
    [400, { error: 'invalid_grant' }, 'WRIT_IDENTITY_INVALID', 'oauth_error'],
    [500, { error: 'server_error' }, 'WRIT_IDENTITY_UNAVAILABLE', 'http_status'],
    [401, { message: 'no' }, 'WRIT_IDENTITY_INVALID', 'invalid_response'],
    [400, { error: 'bad"quote' }, 'WRIT_IDENTITY_INVALID', 'invalid_response'],
    [200, [{ access_token: 'at' }], 'WRIT_IDENTITY_INVALID', 'invalid_response'],
    [200, undefined, 'WRIT_IDENTITY_INVALID', 'invalid_response'],
  ])('HTTP %i with %j → %s (%s)', async (status, body, code, reason) => {
    answer(status, body);
    const error = await failure(grant());
    expect({ code: error.code, reason: error.details.reason }).toEqual({ code, reason });
    expect(error.details).toMatchObject({ endpoint: `${http.base}/token`, status });
  });

  it('keeps the OAuth code, and the description unless it quotes a secret or a token sent', async () => {
    answer(400, { error: 'invalid_grant', error_description: 'subject expired' });
    expect((await failure(grant())).details).toMatchObject({
      error: 'invalid_grant',
      errorDescription: 'subject expired',
    });
    answer(401, { error: 'invalid_client', error_description: 'secret agent-secret is wrong' });
    const quotesSecret = await failure(grant());
    expect(quotesSecret.details).not.toHaveProperty('errorDescription');
    expect(visible(quotesSecret)).not.toContain('agent-secret');
    answer(400, { error: 'invalid_request', error_description: 'bad subject_token subject.tok' });
    const quotesToken = await failure(grant({ secrets: ['subject.tok'] }));
    expect(visible(quotesToken)).not.toContain('subject.tok');
  });

  it('does not follow a redirect', async () => {
    http.script = { status: 307, headers: { location: 'https://evil.example/token' } };
    const error = await failure(grant());
    expect(error.details.reason).toBe('redirect');
    expect(http.seen).toHaveLength(1);
  });

  it('refuses an answer larger than the limit, and one that does not come in time', async () => {
    answer(200, { access_token: 'at', token_type: 'bearer', padding: 'x'.repeat(MAX_OAUTH_RESPONSE_BYTES) });
    expect((await failure(grant())).details.reason).toBe('response_too_large');
    http.script = { status: 200, hang: true };
    const late = await failure(grant({ timeoutMs: 50 }));
    expect(late).toMatchObject({ code: 'WRIT_IDENTITY_UNAVAILABLE', details: { reason: 'timeout' } });
    const controller = new AbortController();
    const waiting = grant({ signal: controller.signal });
    controller.abort();
    expect((await failure(waiting)).code).toBe('WRIT_ABORTED');
  });
});

describe('oauth4webapi checks a 2xx token answer', () => {
  it.each([
    ['status 201', 201, { access_token: 'at', token_type: 'bearer' }],
    ['no access_token', 200, { token_type: 'bearer' }],
    ['an unknown token_type', 200, { access_token: 'secret-at', token_type: 'mac' }],
    ['a negative expires_in', 200, { access_token: 'secret-at', token_type: 'bearer', expires_in: -5 }],
    ['a non-string scope', 200, { access_token: 'secret-at', token_type: 'bearer', scope: ['a'] }],
  ])('refuses %s as an invalid response, without the token in the error', async (_label, status, body) => {
    answer(status, body);
    const error = await failure(grant());
    expect(error).toMatchObject({ code: 'WRIT_IDENTITY_INVALID', details: { reason: 'invalid_response' } });
    expect(error.cause).toBeUndefined();
    expect(visible(error)).not.toContain('secret-at');
  });

  it('accepts the token types it is told about (lowercased)', async () => {
    answer(200, { access_token: 'at', token_type: 'N_A' });
    const body = await requestToken(tokenServer(), 'x', new URLSearchParams(), client(), {
      n_a: () => undefined,
    });
    expect(body.token_type).toBe('n_a');
  });
});

describe('revocation requests', () => {
  const revocationServer = () => ({ issuer: http.base, revocation_endpoint: `${http.base}/revoke` });
  it('send the token and the hint, and succeed on 200 whatever the body', async () => {
    http.script = { status: 200, body: 'OK', headers: { 'content-type': 'text/plain' } };
    await requestRevocation(
      revocationServer(),
      'tok-1',
      new URLSearchParams({ token_type_hint: 'refresh_token' }),
      client({ what: 'revocation endpoint' }),
    );
    expect(Object.fromEntries(http.seen[0]?.form ?? [])).toEqual({
      token: 'tok-1',
      token_type_hint: 'refresh_token',
    });
  });

  it('hold the server to 200 (RFC 7009 §2.2) and map errors like token requests', async () => {
    http.script = { status: 204 };
    expect(
      (await failure(requestRevocation(revocationServer(), 'tok', new URLSearchParams(), client()))).details
        .reason,
    ).toBe('invalid_response');
    answer(400, { error: 'unsupported_token_type' });
    const error = await failure(
      requestRevocation(revocationServer(), 'tok-2', new URLSearchParams(), client()),
    );
    expect(error.details).toMatchObject({
      reason: 'oauth_error',
      error: 'unsupported_token_type',
      status: 400,
    });
  });
});

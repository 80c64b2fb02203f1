import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { isScopeSubset } from '@writ/core/plugin';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { errors, type TokenExchangeContext } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from '../jwt.js';
import { PAYMENTS_API, PAYMENTS_RESOURCE, startOp, type TestOp } from './__support__/op.js';
import { createOidcRequesterVerifier } from './requester-verifier.js';
import { type ExchangeTokenOptions, exchangeToken } from './token-exchange.js';
import { TOKEN_EXCHANGE_GRANT_TYPE, TOKEN_TYPES } from './token-types.js';

// The OP is a real oidc-provider with an RFC 8693 grant registered through `registerGrantType`. The grant
// handler below is test code playing the OP's policy: it trusts task tokens and agent tokens signed by a
// Writ authority key, issues JWT access tokens (resource indicators, `accessTokenFormat: 'jwt'`) for the
// payments API only, narrows scope to what was asked, and records the actor chain in `act` (RFC 8693 §4.1)
// through the `extraTokenClaims` hook.

const AUTHORITY = 'https://writ.test';
const SUPPORT_AGENT = 'spiffe://writ.test/agent/support';
const BILLING_AGENT = 'spiffe://writ.test/agent/billing';
const BROKER = { id: 'writ-broker', secret: 'broker-secret-0123456789abcdef0123456789' };
/** A client whose (deliberately broken) OP policy grants everything the subject holds, whatever was asked. */
const GREEDY_BROKER = { id: 'greedy-broker', secret: 'greedy-secret-0123456789abcdef0123456789' };
const AUDIENCES: Readonly<Record<string, string>> = { payments: PAYMENTS_API };

let op: TestOp;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let authorityKey: PrivateKey;
/** Subject token: a Writ task token for alice, already acted on by the support agent. */
let taskToken: string;
/** Actor token: the billing agent's own token. */
let agentToken: string;
/** A task token signed by a key the OP does not trust. */
let foreignTaskToken: string;

const actClaims = new WeakMap<object, JWTPayload>();

async function sign(payload: JWTPayload, key: PrivateKey, audience: string): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'txntoken+jwt' })
    .setIssuer(AUTHORITY)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

beforeAll(async () => {
  const authority = await generateKeyPair('ES256', { extractable: true });
  authorityKey = authority.privateKey;
  const trusted = createLocalJWKSet({ keys: [{ ...(await exportJWK(authority.publicKey)), alg: 'ES256' }] });

  async function tokenExchangeGrant(ctx: TokenExchangeContext): Promise<void> {
    const { params, client, provider } = ctx.oidc;
    const verifyAuthorityToken = async (token: unknown): Promise<JWTPayload> => {
      try {
        return (
          await jwtVerify(String(token), trusted, {
            issuer: AUTHORITY,
            audience: provider.issuer,
            algorithms: ['ES256'],
          })
        ).payload;
      } catch {
        throw new errors.InvalidRequest('the token is not one this server trusts');
      }
    };
    if (params.subject_token_type !== TOKEN_TYPES.txnToken)
      throw new errors.InvalidRequest('unsupported subject_token_type');
    const subject = await verifyAuthorityToken(params.subject_token);
    let act: JWTPayload | undefined;
    if (params.actor_token !== undefined) {
      if (params.actor_token_type !== TOKEN_TYPES.jwt)
        throw new errors.InvalidRequest('unsupported actor_token_type');
      const actor = await verifyAuthorityToken(params.actor_token);
      act = { sub: actor.sub, ...(subject.act === undefined ? {} : { act: subject.act }) };
    }
    const targets = [...list(params.resource), ...list(params.audience).map((a) => AUDIENCES[a] ?? a)];
    if (targets.length !== 1 || targets[0] !== PAYMENTS_API) {
      throw new errors.InvalidTarget(`exactly one target is supported: ${PAYMENTS_API}`);
    }
    const held = String(subject.scope ?? '').split(' ');
    const requested =
      typeof params.scope === 'string' && params.scope !== '' ? params.scope.split(' ') : held;
    const exceeding = requested.filter((s) => !held.includes(s));
    if (exceeding.length > 0)
      throw new errors.InvalidScope(
        'the subject token does not hold the requested scope',
        exceeding.join(' '),
      );
    const apiScopes = PAYMENTS_RESOURCE.scope.split(' ');
    const granted = (client.clientId === GREEDY_BROKER.id ? held : requested).filter((s) =>
      apiScopes.includes(s),
    );

    if (params.requested_token_type === TOKEN_TYPES.idToken) {
      // Not an access token: RFC 8693 says token_type N_A.
      const idToken = new provider.IdToken({ sub: String(subject.sub) }, { ctx });
      idToken.scope = 'openid';
      ctx.body = {
        access_token: await idToken.issue({ use: 'idtoken' }),
        issued_token_type: TOKEN_TYPES.idToken,
        token_type: 'N_A',
        expires_in: 600,
      };
      return;
    }
    const accessToken = new provider.AccessToken({
      accountId: String(subject.sub),
      client,
      scope: granted.join(' '),
      gty: TOKEN_EXCHANGE_GRANT_TYPE,
    });
    accessToken.resourceServer = new provider.ResourceServer(PAYMENTS_API, PAYMENTS_RESOURCE);
    if (act !== undefined) actClaims.set(accessToken, { act });
    ctx.body = {
      access_token: await accessToken.save(),
      issued_token_type: TOKEN_TYPES.accessToken,
      token_type: 'Bearer',
      expires_in: accessToken.expiration,
      scope: accessToken.scope,
    };
  }

  const brokerClient = (c: { id: string; secret: string }) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: [TOKEN_EXCHANGE_GRANT_TYPE],
    response_types: [],
    redirect_uris: [],
  });
  op = await startOp({
    clients: [brokerClient(BROKER), brokerClient(GREEDY_BROKER)],
    configuration: {
      // Claims the grant handler attached to a token (here: `act`) go into the JWT access token.
      extraTokenClaims: async (_ctx: unknown, token: object) => actClaims.get(token),
    },
    setup(provider) {
      provider.registerGrantType(
        TOKEN_EXCHANGE_GRANT_TYPE,
        tokenExchangeGrant,
        [
          'audience',
          'resource',
          'scope',
          'requested_token_type',
          'subject_token',
          'subject_token_type',
          'actor_token',
          'actor_token_type',
        ],
        ['audience', 'resource'],
      );
    },
  });
  const taskClaims = {
    sub: 'alice',
    scope: 'orders:read payments:read payments:refund',
    act: { sub: SUPPORT_AGENT },
    txn: 'task-42',
  };
  taskToken = await sign(taskClaims, authorityKey, op.issuer);
  agentToken = await sign({ sub: BILLING_AGENT }, authorityKey, op.issuer);
  foreignTaskToken = await sign(taskClaims, (await generateKeyPair('ES256')).privateKey, op.issuer);
});
afterAll(() => op.close());

const base = (): ExchangeTokenOptions => ({
  tokenEndpoint: `${op.issuer}/token`,
  clientId: BROKER.id,
  clientSecret: BROKER.secret,
  subjectToken: taskToken,
  subjectTokenType: TOKEN_TYPES.txnToken,
});

/** Forwards to the real fetch and keeps every form body sent. */
function recordingFetch(): FetchLike & { forms: URLSearchParams[] } {
  const forms: URLSearchParams[] = [];
  return Object.assign(
    (url: string, init: RequestInit) => {
      forms.push(new URLSearchParams(String(init.body)));
      return fetch(url, init);
    },
    { forms },
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

function visible(error: WritError): string {
  return `${error.message} ${JSON.stringify(error.toJSON())} ${String(error.stack)}`;
}

describe('exchangeToken against oidc-provider (RFC 8693 grant registered on the OP)', () => {
  it('trades a task token and an agent token for a narrowed JWT access token that names the actor chain in act', async () => {
    const now = Date.now();
    const result = await exchangeToken({
      ...base(),
      actorToken: agentToken,
      actorTokenType: TOKEN_TYPES.jwt,
      resource: PAYMENTS_API,
      scope: ['payments:refund'],
      requestedTokenType: TOKEN_TYPES.accessToken,
      clock: () => now,
      signal: AbortSignal.timeout(10_000),
    });
    expect(result).toMatchObject({
      issuedTokenType: TOKEN_TYPES.accessToken,
      tokenType: 'Bearer',
      scope: ['payments:refund'],
      expiresAt: now + 300_000,
    });
    expect(JSON.stringify(result)).not.toContain(result.accessToken);

    const { payload, header } = await verifyJwt(
      result.accessToken,
      createRemoteJWKSet(new URL(`${op.issuer}/jwks`)),
      {
        what: 'exchanged access token',
        algorithms: ['ES256'],
        issuer: op.issuer,
        audience: PAYMENTS_API,
        typ: 'at+jwt',
      },
    );
    expect(header.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: BROKER.id,
      scope: 'payments:refund',
      // current actor outermost, the earlier one nested (RFC 8693 §4.1)
      act: { sub: BILLING_AGENT, act: { sub: SUPPORT_AGENT } },
    });
  });

  it('sends every RFC 8693 §2.1 parameter, repeating audience and resource', async () => {
    const fetchSpy = recordingFetch();
    const error = await refusal(
      exchangeToken({
        ...base(),
        actorToken: agentToken,
        actorTokenType: TOKEN_TYPES.jwt,
        resource: [PAYMENTS_API, 'https://mail.example'],
        audience: ['payments', 'mail'],
        scope: ['payments:read', 'orders:read'],
        requestedTokenType: TOKEN_TYPES.accessToken,
        fetch: fetchSpy,
      }),
    );
    const form = fetchSpy.forms[0] as URLSearchParams;
    expect(form.get('grant_type')).toBe(TOKEN_EXCHANGE_GRANT_TYPE);
    expect(form.get('subject_token')).toBe(taskToken);
    expect(form.get('subject_token_type')).toBe(TOKEN_TYPES.txnToken);
    expect(form.get('actor_token')).toBe(agentToken);
    expect(form.get('actor_token_type')).toBe(TOKEN_TYPES.jwt);
    expect(form.getAll('resource')).toEqual([PAYMENTS_API, 'https://mail.example']);
    expect(form.getAll('audience')).toEqual(['payments', 'mail']);
    expect(form.get('scope')).toBe('payments:read orders:read');
    expect(form.get('requested_token_type')).toBe(TOKEN_TYPES.accessToken);
    expect(form.has('client_secret')).toBe(false); // client_secret_basic by default
    // The OP's policy serves one target at a time: its invalid_target answer surfaces with the OAuth code.
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details).toMatchObject({ reason: 'oauth_error', error: 'invalid_target', status: 400 });
    expect(visible(error)).not.toContain(taskToken);
    expect(visible(error)).not.toContain(BROKER.secret);
  });

  it('works with a logical audience and client_secret_post, without an actor', async () => {
    const fetchSpy = recordingFetch();
    const result = await exchangeToken({
      ...base(),
      clientAuth: 'client_secret_post',
      audience: 'payments',
      scope: ['payments:read'],
      fetch: fetchSpy,
    });
    expect(result.scope).toEqual(['payments:read']);
    expect(fetchSpy.forms[0]?.get('client_secret')).toBe(BROKER.secret);
    const { payload } = await verifyJwt(
      result.accessToken,
      createRemoteJWKSet(new URL(`${op.issuer}/jwks`)),
      {
        what: 'exchanged access token',
        algorithms: ['ES256'],
        issuer: op.issuer,
        audience: PAYMENTS_API,
      },
    );
    expect(payload.act).toBeUndefined();
  });

  it('reports the scope the OP chose when none was requested', async () => {
    const result = await exchangeToken({ ...base(), resource: PAYMENTS_API });
    expect(result.scope).toEqual(['orders:read', 'payments:read', 'payments:refund']);
  });

  it('refuses an answer whose scope is wider than requested (WRIT_SCOPE_EXCEEDED)', async () => {
    const error = await refusal(
      exchangeToken({
        ...base(),
        clientId: GREEDY_BROKER.id,
        clientSecret: GREEDY_BROKER.secret,
        resource: PAYMENTS_API,
        scope: ['payments:read'],
      }),
    );
    expect(error.code).toBe('WRIT_SCOPE_EXCEEDED');
    expect(error.details).toMatchObject({
      reason: 'scope_widened',
      requested: ['payments:read'],
      granted: ['orders:read', 'payments:read', 'payments:refund'],
      exceeding: ['orders:read', 'payments:refund'],
    });
  });

  it("maps the OP's invalid_scope (more than the subject holds) to WRIT_SCOPE_EXCEEDED", async () => {
    const error = await refusal(
      exchangeToken({ ...base(), resource: PAYMENTS_API, scope: ['payments:admin'] }),
    );
    expect(error.code).toBe('WRIT_SCOPE_EXCEEDED');
    expect(error.details).toMatchObject({ reason: 'oauth_error', error: 'invalid_scope' });
  });

  it('surfaces a refused subject token as an OAuth error, without the token', async () => {
    const error = await refusal(
      exchangeToken({ ...base(), subjectToken: foreignTaskToken, resource: PAYMENTS_API }),
    );
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details.error).toBe('invalid_request');
    expect(visible(error)).not.toContain(foreignTaskToken);
  });

  it('surfaces a wrong client secret as invalid_client', async () => {
    const error = await refusal(
      exchangeToken({
        ...base(),
        clientSecret: 'wrong-secret-0123456789abcdef012345678',
        resource: PAYMENTS_API,
      }),
    );
    expect(error.details).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(visible(error)).not.toContain('wrong-secret-0123456789abcdef012345678');
  });

  it('accepts token_type N_A for a token that is not an access token (an ID token here)', async () => {
    const result = await exchangeToken({
      ...base(),
      resource: PAYMENTS_API,
      requestedTokenType: TOKEN_TYPES.idToken,
    });
    expect(result).toMatchObject({
      issuedTokenType: TOKEN_TYPES.idToken,
      tokenType: 'N_A',
      scope: undefined,
    });
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: BROKER.id });
    await expect(verifier.verifyRequester(result.accessToken)).resolves.toMatchObject({ id: 'alice' });
  });
});

describe('exchangeToken answers a real OP does not give (stub fetch)', () => {
  const stub =
    (body: unknown, status = 200): FetchLike =>
    async () =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const stubbed = (
    fetchImpl: FetchLike,
    extra: Partial<ExchangeTokenOptions> = {},
  ): ExchangeTokenOptions => ({
    tokenEndpoint: 'https://sts.example.com/token',
    clientId: 'broker',
    clientSecret: 'broker-secret',
    subjectToken: 'subject.token.value',
    subjectTokenType: TOKEN_TYPES.txnToken,
    fetch: fetchImpl,
    ...extra,
  });
  const ok = { access_token: 'issued', issued_token_type: TOKEN_TYPES.accessToken, token_type: 'Bearer' };

  it.each([
    ['no access_token', { issued_token_type: TOKEN_TYPES.accessToken, token_type: 'Bearer' }],
    ['no issued_token_type', { access_token: 'issued', token_type: 'Bearer' }],
    ['a token_type other than Bearer or N_A', { ...ok, token_type: 'DPoP' }],
    ['a non-numeric expires_in', { ...ok, expires_in: 'soon' }],
    ['an array body', [ok]],
  ])('refuses an answer with %s', async (_label, body) => {
    const error = await refusal(exchangeToken(stubbed(stub(body))));
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details.reason).toBe('invalid_response');
  });

  it('takes an omitted scope as the requested one and digits as expires_in', async () => {
    const result = await exchangeToken(
      stubbed(stub({ ...ok, token_type: 'bearer', expires_in: '60' }), {
        scope: ['a:read'],
        clock: () => 1_000,
      }),
    );
    expect(result).toMatchObject({ tokenType: 'Bearer', scope: ['a:read'], expiresAt: 61_000 });
  });

  it('maps 503 to WRIT_IDENTITY_UNAVAILABLE and keeps the OAuth code', async () => {
    const error = await refusal(exchangeToken(stubbed(stub({ error: 'temporarily_unavailable' }, 503))));
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details.error).toBe('temporarily_unavailable');
  });

  it('does not follow redirects', async () => {
    const redirect: FetchLike = async () =>
      new Response(null, { status: 307, headers: { location: 'https://evil.example' } });
    const error = await refusal(exchangeToken(stubbed(redirect)));
    expect(error.details.reason).toBe('redirect');
  });

  test.prop([
    fc.uniqueArray(fc.constantFrom('a:read', 'a:write', 'a:*', 'b:read', '*'), { maxLength: 4 }),
    fc.uniqueArray(fc.constantFrom('a:read', 'a:write', 'a:*', 'b:read', '*'), { maxLength: 4 }),
  ])('never returns more scope than requested (property)', async (requested, granted) => {
    const outcome = await exchangeToken(
      stubbed(stub({ ...ok, scope: granted.join(' ') }), { scope: requested }),
    ).then(
      (result) => result,
      (error: unknown) => error,
    );
    if (isScopeSubset(granted, requested)) {
      expect(outcome).toMatchObject({ scope: granted });
    } else {
      expect(WritError.isInstance(outcome, 'WRIT_SCOPE_EXCEEDED')).toBe(true);
    }
  });
});

describe('exchangeToken options', () => {
  const valid: ExchangeTokenOptions = {
    tokenEndpoint: 'https://sts.example.com/token',
    clientId: 'broker',
    clientSecret: 'broker-secret',
    subjectToken: 'subject.token.value',
    subjectTokenType: TOKEN_TYPES.txnToken,
  };
  it.each([
    [{ actorToken: 'actor' }, /actorTokenType/],
    [{ actorTokenType: TOKEN_TYPES.jwt }, /actorTokenType/],
    [{ subjectTokenType: 'access_token' }, /subjectTokenType/],
    [{ resource: 'https://api.example.com/#frag' }, /resource/],
    [{ resource: [] }, /resource/],
    [{ scope: ['two words'] }, /scope/],
    [{ tokenEndpoint: 'http://sts.example.com/token' }, /https/],
    [{ clientSecret: undefined, clientAuth: 'client_secret_basic' as const }, /needs clientSecret/],
    [{ clientAuth: 'none' as const }, /must not be set/],
    [{ subjectToken: '' }, /subjectToken/],
  ])('refuses %j before sending anything', async (override, message) => {
    let sent = false;
    const fetchImpl: FetchLike = async () => {
      sent = true;
      return new Response('{}');
    };
    const error = await refusal(exchangeToken({ ...valid, ...override, fetch: fetchImpl }));
    expect(error.code).toBe('WRIT_OPTIONS_INVALID');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('broker-secret');
    expect(sent).toBe(false);
  });
});

import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS, loginWithAuthorizationCode, signingKeys, startOp, type TestOp } from './__support__/op.js';
import { bearerToken } from './bearer-token.js';
import { createOidcRequesterVerifier, OIDC_REQUESTER_DEFAULTS } from './requester-verifier.js';

// The ID tokens here are genuine: each comes out of the OP's own authorization code flow, driven over
// HTTP with oidc-provider's development login and consent interactions (see loginWithAuthorizationCode).

let op: TestOp;
let otherOp: TestOp;
let idToken: string;
let hs256IdToken: string;
let otherOpIdToken: string;

beforeAll(async () => {
  // The second OP signs with different keys under the same key ids, so only the signature tells them apart.
  [op, otherOp] = await Promise.all([startOp(), startOp({ keys: await signingKeys() })]);
  [{ idToken }, { idToken: hs256IdToken }, { idToken: otherOpIdToken }] = await Promise.all([
    loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'alice' }),
    loginWithAuthorizationCode(op, { client: CLIENTS.webappHs256, accountId: 'alice' }),
    loginWithAuthorizationCode(otherOp, { client: CLIENTS.webapp, accountId: 'alice' }),
  ]);
});
afterAll(() => Promise.all([op.close(), otherOp.close()]));

function countingFetch(): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  return Object.assign(
    (url: string, init: RequestInit) => {
      calls.push(new URL(url).pathname);
      return fetch(url, init);
    },
    { calls },
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

const signal = () => AbortSignal.timeout(10_000);

describe('createOidcRequesterVerifier against oidc-provider', () => {
  it('verifies a genuine ID token with discovery and the JWKS of the running OP', async () => {
    const fetchSpy = countingFetch();
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: CLIENTS.webapp.id,
      fetch: fetchSpy,
    });
    const alice = await verifier.verifyRequester(idToken, { signal: signal() });
    expect(alice).toMatchObject({
      kind: 'human',
      id: 'alice',
      issuer: op.issuer,
      name: 'Alice Example',
      assurance: 'verified',
    });
    expect(alice.claims).toMatchObject({ sub: 'alice', email: 'alice@example.com', aud: CLIENTS.webapp.id });
    expect(Object.isFrozen(alice)).toBe(true);
    expect(verifier.name).toBe(OIDC_REQUESTER_DEFAULTS.name);
    expect(fetchSpy.calls).toEqual(['/.well-known/openid-configuration', '/jwks']);

    // Keys and metadata are reused for the next token.
    await verifier.verifyRequester(idToken, { signal: signal() });
    expect(fetchSpy.calls).toHaveLength(2);
  });

  it('uses a configured jwksUri without discovery, and another claim as the id when asked', async () => {
    const fetchSpy = countingFetch();
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: [CLIENTS.webapp.id, 'another-app'],
      jwksUri: `${op.issuer}/jwks`,
      subjectClaim: 'email',
      fetch: fetchSpy,
    });
    const alice = await verifier.verifyRequester(idToken);
    expect(alice.id).toBe('alice@example.com');
    expect(fetchSpy.calls).toEqual(['/jwks']);
  });

  it('reads the token from an Authorization header first, the way a server does', async () => {
    const request = new Request('https://app.example/api/chat', {
      headers: { Authorization: `Bearer ${idToken}` },
    });
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    await expect(
      verifier.verifyRequester(bearerToken(request), { signal: request.signal }),
    ).resolves.toMatchObject({
      id: 'alice',
    });
  });

  it('refuses a token for another audience', async () => {
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: 'some-other-app' });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_AUDIENCE_MISMATCH');
  });

  it('refuses a token from another issuer, even when its signature verifies', async () => {
    const verifier = createOidcRequesterVerifier({
      issuer: 'https://login.example.com',
      audience: CLIENTS.webapp.id,
      jwksUri: `${op.issuer}/jwks`,
    });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_ISSUER_MISMATCH');
  });

  it('refuses an expired token (clock moved past exp, no sleeping)', async () => {
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: CLIENTS.webapp.id,
      clock: () => Date.now() + 2 * 3600 * 1000,
    });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_TOKEN_EXPIRED');
    expect(error.details.reason).toBe('expired');
  });

  it('refuses a token older than maxTokenAgeSec although it has not expired', async () => {
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: CLIENTS.webapp.id,
      maxTokenAgeSec: 60,
      clock: () => Date.now() + 120_000,
    });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_TOKEN_EXPIRED');
    expect(error.details.reason).toBe('too_old');
  });

  it("refuses a token signed by another OP's key under the same kid", async () => {
    expect(decodeProtectedHeader(otherOpIdToken).kid).toBe(decodeProtectedHeader(idToken).kid);
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    const error = await refusal(verifier.verifyRequester(otherOpIdToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_TOKEN_INVALID');
    expect(error.details.reason).toBe('bad_signature');
  });

  it('refuses an HS256 ID token (signed with the client secret) since HS256 is not pinned', async () => {
    expect(decodeProtectedHeader(hs256IdToken).alg).toBe('HS256');
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webappHs256.id });
    const error = await refusal(verifier.verifyRequester(hs256IdToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_TOKEN_INVALID');
    expect(error.details).toMatchObject({ reason: 'alg_not_allowed', alg: 'HS256' });
  });

  it('refuses an ES256 token when only RS256 is pinned', async () => {
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: CLIENTS.webapp.id,
      algorithms: ['RS256'],
    });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: signal() }));
    expect(error.details).toMatchObject({ reason: 'alg_not_allowed', alg: 'ES256' });
  });

  it('refuses a token whose payload was altered', async () => {
    const [header, payload, signature] = idToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${signature}`;
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    const error = await refusal(verifier.verifyRequester(forged, { signal: signal() }));
    expect(error.details.reason).toBe('bad_signature');
  });
});

describe('createOidcRequesterVerifier failures and options', () => {
  it('reports a JWKS that cannot be fetched as WRIT_IDENTITY_UNAVAILABLE, not as a bad token', async () => {
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: CLIENTS.webapp.id,
      jwksUri: `${op.issuer}/no-such-jwks`,
    });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: signal() }));
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'http_status', status: 404 });
  });

  it('reports failed discovery as WRIT_IDENTITY_UNAVAILABLE and retries it on the next call', async () => {
    let fail = true;
    const flaky: FetchLike = (url, init) =>
      fail ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init);
    const verifier = createOidcRequesterVerifier({
      issuer: op.issuer,
      audience: CLIENTS.webapp.id,
      fetch: flaky,
    });
    expect((await refusal(verifier.verifyRequester(idToken))).code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    fail = false;
    await expect(verifier.verifyRequester(idToken)).resolves.toMatchObject({ id: 'alice' });
  });

  it("gives up with WRIT_ABORTED when the caller's signal has fired", async () => {
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    const error = await refusal(verifier.verifyRequester(idToken, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('WRIT_ABORTED');
  });

  it('refuses something that is not a JWT', async () => {
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    const error = await refusal(verifier.verifyRequester('not-a-token'));
    expect(error.code).toBe('WRIT_TOKEN_INVALID');
  });

  it.each([
    [{ issuer: 'http://login.example.com', audience: 'app' }, /issuer: must use https/],
    [{ issuer: 'https://login.example.com', audience: [] }, /audience/],
    [{ issuer: 'https://login.example.com', audience: 'app', algorithms: ['HS256'] }, /algorithms/],
    [{ issuer: 'https://login.example.com', audience: 'app', algorithms: ['none'] }, /algorithms/],
    [{ issuer: 'https://login.example.com', audience: 'app', jwksUri: 'http://keys.example.com' }, /jwksUri/],
    [{ issuer: 'https://login.example.com', audience: 'app', colour: 'red' }, /unknown option/],
  ])('refuses invalid options eagerly (%j)', (options, message) => {
    expect(() =>
      createOidcRequesterVerifier(options as Parameters<typeof createOidcRequesterVerifier>[0]),
    ).toThrow(message);
    try {
      createOidcRequesterVerifier(options as Parameters<typeof createOidcRequesterVerifier>[0]);
    } catch (error) {
      expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    }
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      issuer: 'https://login.example.com',
      audience: Object.freeze(['app']),
      algorithms: Object.freeze(['ES256']),
    });
    expect(() => createOidcRequesterVerifier(options)).not.toThrow();
  });
});

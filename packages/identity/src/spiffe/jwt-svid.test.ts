import { WritError, type WritErrorCode } from '@writ/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  b64url,
  createTestAuthority,
  signEdDsa,
  signHs256,
  type TestAuthority,
} from './__support__/svid-fixtures.js';
import { createJwtBundleSet, type JwtBundleSet, parseJwtBundle } from './jwt-bundle.js';
import { validateJwtSvid } from './jwt-svid.js';

let exampleEc: TestAuthority;
let exampleRsa: TestAuthority;
let examplePss: TestAuthority;
let partner: TestAuthority;
let encOnly: TestAuthority;
let bundles: JwtBundleSet;

beforeAll(() => {
  exampleEc = createTestAuthority('example.org', { alg: 'ES256', kid: 'ec-1' });
  exampleRsa = createTestAuthority('example.org', { alg: 'RS256', kid: 'rsa-1' });
  examplePss = createTestAuthority('example.org', { alg: 'PS256', kid: 'pss-1' });
  partner = createTestAuthority('partner.io', { alg: 'ES384', kid: 'partner-1' });
  encOnly = createTestAuthority('enc-only.io', { alg: 'ES256', kid: 'enc-1' });
  bundles = createJwtBundleSet([
    parseJwtBundle('example.org', { keys: [exampleEc.jwk, exampleRsa.jwk, examplePss.jwk] }),
    parseJwtBundle('partner.io', partner.jwks()),
    parseJwtBundle('enc-only.io', { keys: [{ ...encOnly.jwk, use: 'enc' }] }),
  ]);
});

async function refusal(
  token: unknown,
  options: Partial<Parameters<typeof validateJwtSvid>[1]> = {},
): Promise<WritError> {
  try {
    await validateJwtSvid(token as string, { audience: 'writ', bundles, ...options });
  } catch (error) {
    if (WritError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

const nowSec = () => Math.floor(Date.now() / 1000);

describe('validateJwtSvid accepts', () => {
  it.each([
    ['ES256', () => exampleEc],
    ['RS256', () => exampleRsa],
    ['PS256', () => examplePss],
  ])('a real %s JWT-SVID, choosing the bundle by the trust domain of sub', async (_alg, authority) => {
    const token = authority().mint({ sub: 'spiffe://example.org/agent/billing', jti: 'j1' });
    const svid = await validateJwtSvid(token, { audience: 'writ', bundles });
    expect(svid.spiffeId.toString()).toBe('spiffe://example.org/agent/billing');
    expect(svid.spiffeId.trustDomain).toBe('example.org');
    expect(svid.audience).toEqual(['writ']);
    expect(svid.claims).toMatchObject({ sub: 'spiffe://example.org/agent/billing', jti: 'j1' });
    expect(svid.expiresAt.getTime()).toBe((svid.claims.exp as number) * 1000);
  });

  it('an SVID of a federated trust domain, a string aud, typ JOSE or no typ, and an audience list', async () => {
    const token = partner.mint({
      sub: 'spiffe://partner.io/ns/prod/sa/agent',
      aud: 'spiffe://example.org/payments',
    });
    const svid = await validateJwtSvid(token, {
      audience: ['other', 'spiffe://example.org/payments'],
      bundles,
    });
    expect(svid.spiffeId.trustDomain).toBe('partner.io');
    expect(svid.audience).toEqual(['spiffe://example.org/payments']);
    await expect(
      validateJwtSvid(exampleEc.mint({}, { typ: 'JOSE' }), { audience: 'writ', bundles }),
    ).resolves.toBeDefined();
    await expect(
      validateJwtSvid(exampleEc.mint({}, { typ: undefined }), { audience: 'writ', bundles }),
    ).resolves.toBeDefined();
  });

  it('within the clock tolerance, and at an injected time', async () => {
    const exp = nowSec() - 3;
    const token = exampleEc.mint({ iat: exp - 60, exp });
    await expect(
      validateJwtSvid(token, { audience: 'writ', bundles, clockToleranceSec: 10 }),
    ).resolves.toBeDefined();
    await expect(
      validateJwtSvid(token, {
        audience: 'writ',
        bundles,
        clockToleranceSec: 0,
        currentDate: new Date((exp - 30) * 1000),
      }),
    ).resolves.toBeDefined();
  });

  it('follows the live bundle set: a removed trust domain stops validating', async () => {
    const live = createJwtBundleSet([parseJwtBundle('partner.io', partner.jwks())]);
    const token = partner.mint({ sub: 'spiffe://partner.io/agent/x' });
    await expect(validateJwtSvid(token, { audience: 'writ', bundles: live })).resolves.toBeDefined();
    live.replace([]);
    expect((await refusal(token, { bundles: live })).details.reason).toBe('no_bundle');
  });
});

type Case = [name: string, token: () => unknown, code: WritErrorCode, reason: string, options?: () => object];

const header = (extra: Record<string, unknown> = {}) => ({ alg: 'ES256', kid: 'ec-1', typ: 'JWT', ...extra });
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'spiffe://example.org/agent/support',
  aud: ['writ'],
  iat: nowSec(),
  exp: nowSec() + 300,
  ...extra,
});
const raw = (h: object, p: object | string) =>
  exampleEc.signRaw(JSON.stringify(h), typeof p === 'string' ? p : JSON.stringify(p));

const hostile: Case[] = [
  [
    'alg none',
    () => `${b64url(JSON.stringify({ alg: 'none', kid: 'ec-1' }))}.${b64url(JSON.stringify(claims()))}.`,
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  [
    'HS256 keyed with the RSA public key bytes',
    () =>
      signHs256(
        { alg: 'HS256', kid: 'rsa-1', typ: 'JWT' },
        claims(),
        Buffer.from(exampleRsa.publicKey.export({ type: 'spki', format: 'pem' })),
      ),
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  [
    'EdDSA',
    () => signEdDsa({ alg: 'EdDSA', kid: 'ec-1' }, claims()),
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  ['missing exp', () => exampleEc.mint({ exp: undefined }), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  [
    'expired',
    () => exampleEc.mint({ iat: nowSec() - 600, exp: nowSec() - 60 }),
    'WRIT_TOKEN_EXPIRED',
    'expired',
  ],
  ['exp not a number', () => exampleEc.mint({ exp: 'tomorrow' }), 'WRIT_TOKEN_INVALID', 'claim_exp'],
  [
    'nbf in the future',
    () => exampleEc.mint({ nbf: nowSec() + 600 }),
    'WRIT_TOKEN_NOT_YET_VALID',
    'nbf_in_future',
  ],
  [
    'iat in the future',
    () => exampleEc.mint({ iat: nowSec() + 600, exp: nowSec() + 900 }),
    'WRIT_TOKEN_NOT_YET_VALID',
    'iat_in_future',
  ],
  ['missing aud', () => exampleEc.mint({ aud: undefined }), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  ['wrong aud', () => exampleEc.mint({ aud: ['someone-else'] }), 'WRIT_AUDIENCE_MISMATCH', 'audience'],
  ['empty aud', () => exampleEc.mint({ aud: [] }), 'WRIT_AUDIENCE_MISMATCH', 'audience'],
  ['missing sub', () => exampleEc.mint({ sub: undefined }), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  [
    'sub not a SPIFFE ID',
    () => exampleEc.mint({ sub: 'alice@example.org' }),
    'WRIT_SPIFFE_ID_INVALID',
    'wrong_scheme',
  ],
  ['sub not a string', () => exampleEc.mint({ sub: 42 }), 'WRIT_SPIFFE_ID_INVALID', 'not_a_string'],
  [
    'sub with an uppercase trust domain',
    () => exampleEc.mint({ sub: 'spiffe://Example.org/agent' }),
    'WRIT_SPIFFE_ID_INVALID',
    'trust_domain_uppercase',
  ],
  [
    'sub with a .. segment',
    () => exampleEc.mint({ sub: 'spiffe://example.org/agent/../admin' }),
    'WRIT_SPIFFE_ID_INVALID',
    'dot_segment',
  ],
  [
    'sub with a trailing slash',
    () => exampleEc.mint({ sub: 'spiffe://example.org/agent/' }),
    'WRIT_SPIFFE_ID_INVALID',
    'trailing_slash',
  ],
  [
    'sub with a port',
    () => exampleEc.mint({ sub: 'spiffe://example.org:443/agent' }),
    'WRIT_SPIFFE_ID_INVALID',
    'port',
  ],
  [
    'sub with a query',
    () => exampleEc.mint({ sub: 'spiffe://example.org/agent?admin=1' }),
    'WRIT_SPIFFE_ID_INVALID',
    'query',
  ],
  [
    'sub with percent-encoding',
    () => exampleEc.mint({ sub: 'spiffe://example.org/agent%2Fadmin' }),
    'WRIT_SPIFFE_ID_INVALID',
    'percent_encoded',
  ],
  [
    'sub in a trust domain without a bundle',
    () => exampleEc.mint({ sub: 'spiffe://unknown.org/agent' }),
    'WRIT_ISSUER_MISMATCH',
    'no_bundle',
  ],
  [
    "sub in another trust domain, signed with this one's key (wrong trust domain)",
    () => exampleEc.mint({ sub: 'spiffe://partner.io/agent/support' }),
    'WRIT_TOKEN_INVALID',
    'unknown_kid',
  ],
  [
    "sub in another trust domain, its kid, signed with this one's key",
    () => exampleEc.mint({ sub: 'spiffe://partner.io/agent/support' }, { alg: 'ES384', kid: 'partner-1' }),
    'WRIT_TOKEN_INVALID',
    'bad_signature',
  ],
  [
    'a trust domain the validator does not accept',
    () => partner.mint({ sub: 'spiffe://partner.io/agent' }),
    'WRIT_ISSUER_MISMATCH',
    'trust_domain_not_accepted',
    () => ({ trustDomains: ['spiffe://example.org'] }),
  ],
  [
    'jwk header',
    () => raw(header({ jwk: exampleEc.jwk }), claims()),
    'WRIT_TOKEN_INVALID',
    'forbidden_header',
  ],
  [
    'jku header',
    () => raw(header({ jku: 'https://attacker.example/jwks' }), claims()),
    'WRIT_TOKEN_INVALID',
    'forbidden_header',
  ],
  [
    'x5u header',
    () => raw(header({ x5u: 'https://attacker.example/cert' }), claims()),
    'WRIT_TOKEN_INVALID',
    'forbidden_header',
  ],
  ['x5c header', () => raw(header({ x5c: ['MIIB'] }), claims()), 'WRIT_TOKEN_INVALID', 'forbidden_header'],
  [
    'unknown crit',
    () => raw(header({ crit: ['exp-ext'], 'exp-ext': 1 }), claims()),
    'WRIT_TOKEN_INVALID',
    'unsupported_crit',
  ],
  [
    'a header the JWT-SVID spec does not allow',
    () => raw(header({ cty: 'JWT' }), claims()),
    'WRIT_TOKEN_INVALID',
    'header_not_allowed',
  ],
  [
    'typ other than JWT/JOSE',
    () => raw(header({ typ: 'at+jwt' }), claims()),
    'WRIT_TOKEN_INVALID',
    'typ_not_allowed',
  ],
  ['unknown kid', () => exampleEc.mint({}, { kid: 'rotated-away' }), 'WRIT_TOKEN_INVALID', 'unknown_kid'],
  ['missing kid', () => exampleEc.mint({}, { kid: undefined }), 'WRIT_TOKEN_INVALID', 'missing_kid'],
  [
    'bundle key with use "enc" only',
    () => encOnly.mint({ sub: 'spiffe://enc-only.io/agent' }),
    'WRIT_TOKEN_INVALID',
    'unknown_kid',
  ],
  [
    'duplicate claims',
    () =>
      exampleEc.signRaw(
        JSON.stringify(header()),
        JSON.stringify(claims()).replace(/}$/, ',"sub":"spiffe://example.org/agent/admin"}'),
      ),
    'WRIT_TOKEN_INVALID',
    'duplicate_claim',
  ],
  [
    'duplicate header names',
    () => exampleEc.signRaw('{"alg":"ES256","kid":"ec-1","kid":"rsa-1"}', JSON.stringify(claims())),
    'WRIT_TOKEN_INVALID',
    'duplicate_claim',
  ],
  ['non-JSON payload', () => raw(header(), 'this is not json'), 'WRIT_TOKEN_INVALID', 'malformed_payload'],
  ['JSON array payload', () => raw(header(), '[1,2,3]'), 'WRIT_TOKEN_INVALID', 'malformed_payload'],
  [
    'oversized token',
    () => exampleEc.mint({ padding: 'x'.repeat(20_000) }),
    'WRIT_TOKEN_INVALID',
    'oversized',
  ],
  [
    'tampered payload',
    () => {
      const [h, , s] = exampleEc.mint().split('.');
      return `${h}.${b64url(JSON.stringify(claims({ sub: 'spiffe://example.org/agent/admin' })))}.${s}`;
    },
    'WRIT_TOKEN_INVALID',
    'bad_signature',
  ],
  ['a JWE', () => 'a.b.c.d.e', 'WRIT_TOKEN_INVALID', 'encrypted'],
  ['two segments', () => 'a.b', 'WRIT_TOKEN_INVALID', 'malformed'],
  ['no token at all', () => undefined, 'WRIT_TOKEN_INVALID', 'not_a_token'],
];

describe('validateJwtSvid refuses hostile JWT-SVIDs', () => {
  it('has a large table', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(20);
  });

  it.each(hostile)('%s → %s (%s)', async (_name, token, code, reason, options) => {
    const error = await refusal(token(), options?.() ?? {});
    expect({ code: error.code, reason: error.details.reason }).toEqual({ code, reason });
    expect(error.details.token).toBe('JWT-SVID');
  });
});

describe('validateJwtSvid options', () => {
  it.each([
    [{ audience: '', bundles: createJwtBundleSet() }, 'options.audience'],
    [{ audience: 'writ', bundles: {} }, 'options.bundles'],
    [
      { audience: 'writ', bundles: createJwtBundleSet(), trustDomains: ['Bad Domain'] },
      'options.trustDomains.0',
    ],
    [{ audience: 'writ', bundles: createJwtBundleSet(), colour: 'red' }, 'unknown option(s) "colour"'],
  ])('refuses invalid options eagerly (%#)', async (options, mention) => {
    const error = await validateJwtSvid(exampleEc.mint(), options as never).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).message).toContain(mention);
  });

  it('does not mutate the caller options', async () => {
    const options = Object.freeze({ audience: Object.freeze(['writ']) as readonly string[], bundles });
    await validateJwtSvid(exampleEc.mint(), options);
    expect(options.audience).toEqual(['writ']);
  });
});

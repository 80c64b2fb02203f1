// A table of hostile tokens: every one must be refused with a specific WritError code and reason.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WritError, type WritErrorCode } from '@writ/core';
import {
  createLocalAuthority,
  createLocalIdentity,
  createRevocationList,
  LOCAL_REQUESTER_AUDIENCE,
  type LocalAuthority,
  verifyTaskToken,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackerEd25519, attackerRsa, authorityKey, b64, forge } from './__support__/forge.js';

const AUD = 'https://payments.example.com';
let dir: string;
let authority: LocalAuthority;
let key: ReturnType<typeof authorityKey>;
const revocations = createRevocationList();
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-hostile-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
  key = authorityKey(join(dir, 'keys'));
  revocations.revoke('revoked-jti', Date.now() + 60_000);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const claims = (over: Record<string, unknown> = {}) => ({
  iss: 'spiffe://example.org',
  sub: 'alice@example.com',
  aud: AUD,
  txn: 'task-1',
  scope: 'orders:read',
  iat: now(),
  exp: now() + 300,
  jti: 'jti-1',
  act: { sub: 'spiffe://example.org/agent/support' },
  req_wl: 'spiffe://example.org/agent/support',
  tctx: { correlation_id: 'c' },
  ...over,
});
const header = (over: Record<string, unknown> = {}) => ({
  alg: 'EdDSA',
  typ: 'txntoken+jwt',
  kid: key.kid,
  ...over,
});
const signed = (h: Record<string, unknown> | string, c: Record<string, unknown> | string) =>
  forge(h, c, { alg: 'EdDSA', key: key.key });

type Case = [name: string, token: () => string, code: WritErrorCode, reason?: string];
const without = (name: string) => {
  const c: Record<string, unknown> = claims();
  delete c[name];
  return c;
};

const taskTokenCases: Case[] = [
  [
    'alg none, no signature',
    () => forge(header({ alg: 'none' }), claims(), { alg: 'none' }),
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  [
    'HS256 keyed with the public key bytes',
    () =>
      forge(header({ alg: 'HS256' }), claims(), {
        alg: 'HS256',
        secret: Buffer.from(key.publicX, 'base64url'),
      }),
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  [
    'HS256 keyed with the JWKS text',
    () =>
      forge(header({ alg: 'HS256' }), claims(), {
        alg: 'HS256',
        secret: Buffer.from(JSON.stringify(authority.jwks())),
      }),
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  [
    'RS256 from an attacker key',
    () => forge(header({ alg: 'RS256' }), claims(), { alg: 'RS256', key: attackerRsa() }),
    'WRIT_TOKEN_INVALID',
    'alg_not_allowed',
  ],
  [
    'EdDSA from an attacker key with our kid',
    () => forge(header(), claims(), { alg: 'EdDSA', key: attackerEd25519() }),
    'WRIT_TOKEN_INVALID',
    'bad_signature',
  ],
  [
    'unknown kid',
    () => forge(header({ kid: 'not-a-known-kid' }), claims(), { alg: 'EdDSA', key: attackerEd25519() }),
    'WRIT_TOKEN_INVALID',
    'unknown_kid',
  ],
  ['missing exp', () => signed(header(), without('exp')), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  ['missing jti', () => signed(header(), without('jti')), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  ['missing txn', () => signed(header(), without('txn')), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  ['missing aud', () => signed(header(), without('aud')), 'WRIT_TOKEN_INVALID', 'missing_claim'],
  [
    'expired',
    () => signed(header(), claims({ iat: now() - 600, exp: now() - 300 })),
    'WRIT_TOKEN_EXPIRED',
    'expired',
  ],
  [
    'nbf in the future',
    () => signed(header(), claims({ nbf: now() + 3600 })),
    'WRIT_TOKEN_NOT_YET_VALID',
    'nbf_in_future',
  ],
  [
    'iat in the future',
    () => signed(header(), claims({ iat: now() + 3600, exp: now() + 7200 })),
    'WRIT_TOKEN_NOT_YET_VALID',
    'iat_in_future',
  ],
  [
    'wrong audience',
    () => signed(header(), claims({ aud: 'https://evil.example.com' })),
    'WRIT_AUDIENCE_MISMATCH',
    'audience',
  ],
  [
    'wrong issuer',
    () => signed(header(), claims({ iss: 'spiffe://evil.org' })),
    'WRIT_ISSUER_MISMATCH',
    'issuer',
  ],
  [
    'jwk header (embedded key)',
    () => signed(header({ jwk: { kty: 'OKP', crv: 'Ed25519', x: key.publicX } }), claims()),
    'WRIT_TOKEN_INVALID',
    'forbidden_header',
  ],
  [
    'jku header',
    () => signed(header({ jku: 'https://evil.example.com/jwks' }), claims()),
    'WRIT_TOKEN_INVALID',
    'forbidden_header',
  ],
  [
    'x5u header',
    () => signed(header({ x5u: 'https://evil.example.com/cert' }), claims()),
    'WRIT_TOKEN_INVALID',
    'forbidden_header',
  ],
  [
    'unknown crit extension',
    () => signed(header({ crit: ['exp-ext'], 'exp-ext': 1 }), claims()),
    'WRIT_TOKEN_INVALID',
    'unsupported_crit',
  ],
  [
    'duplicate claim (scope twice, widened last)',
    () => signed(header(), JSON.stringify(claims()).replace(/}$/, ',"scope":"*"}')),
    'WRIT_TOKEN_INVALID',
    'duplicate_claim',
  ],
  [
    'non-JSON payload',
    () => `${b64(JSON.stringify(header()))}.${b64('not json')}.${b64('sig')}`,
    'WRIT_TOKEN_INVALID',
  ],
  ['payload is a JSON array', () => signed(header(), '[1,2,3]'), 'WRIT_TOKEN_INVALID'],
  [
    'oversized token',
    () => signed(header(), claims({ pad: 'x'.repeat(20_000) })),
    'WRIT_TOKEN_INVALID',
    'oversized',
  ],
  [
    'two segments',
    () => `${b64(JSON.stringify(header()))}.${b64(JSON.stringify(claims()))}`,
    'WRIT_TOKEN_INVALID',
    'malformed',
  ],
  ['JWE-shaped (five segments)', () => 'a.b.c.d.e', 'WRIT_TOKEN_INVALID', 'encrypted'],
  ['empty string', () => '', 'WRIT_TOKEN_INVALID', 'not_a_token'],
  [
    'signature stripped',
    () => `${signed(header(), claims()).split('.').slice(0, 2).join('.')}.`,
    'WRIT_TOKEN_INVALID',
    'bad_signature',
  ],
  [
    'payload swapped for a wider scope',
    () => {
      const [h, , s] = signed(header(), claims()).split('.');
      return `${h}.${b64(JSON.stringify(claims({ scope: '*' })))}.${s}`;
    },
    'WRIT_TOKEN_INVALID',
    'bad_signature',
  ],
  ['wrong typ (an ID token)', () => signed(header({ typ: 'JWT' }), claims()), 'WRIT_TOKEN_INVALID', 'typ'],
  [
    'act is not nested objects',
    () => signed(header(), claims({ act: ['spiffe://example.org/agent/x'] })),
    'WRIT_TOKEN_INVALID',
    'claim_act',
  ],
  [
    'scope is not a string',
    () => signed(header(), claims({ scope: ['*'] })),
    'WRIT_TOKEN_INVALID',
    'claim_scope',
  ],
  ['revoked jti', () => signed(header(), claims({ jti: 'revoked-jti' })), 'WRIT_TOKEN_REVOKED', 'revoked'],
];

describe('verifyTaskToken refuses hostile tokens', () => {
  it('accepts the well-formed baseline (so each case below fails for its own reason)', async () => {
    await expect(
      verifyTaskToken(signed(header(), claims()), {
        issuer: authority.issuer,
        audience: AUD,
        jwks: authority.jwks(),
      }),
    ).resolves.toMatchObject({ taskId: 'task-1' });
  });

  it.each(taskTokenCases)('%s', async (_name, token, code, reason) => {
    const error = await verifyTaskToken(token(), {
      issuer: authority.issuer,
      audience: AUD,
      jwks: authority.jwks(),
      isRevoked: revocations.isRevoked,
    }).catch((e: unknown) => e);
    expect(WritError.isInstance(error), String(error)).toBe(true);
    expect((error as WritError).code).toBe(code);
    if (reason !== undefined) expect((error as WritError).details.reason).toBe(reason);
  });
});

describe('local requester tokens refuse hostile input', () => {
  const requester = (over: Record<string, unknown> = {}) => ({
    iss: 'spiffe://example.org',
    sub: 'alice@example.com',
    aud: LOCAL_REQUESTER_AUDIENCE,
    iat: now(),
    exp: now() + 300,
    ...over,
  });
  const cases: Case[] = [
    [
      'a task token presented as a requester token',
      () => signed(header(), claims()),
      'WRIT_TOKEN_INVALID',
      'claim_typ',
    ],
    [
      'alg none',
      () => forge({ alg: 'none', typ: 'JWT' }, requester(), { alg: 'none' }),
      'WRIT_TOKEN_INVALID',
      'alg_not_allowed',
    ],
    [
      'expired',
      () =>
        signed({ alg: 'EdDSA', typ: 'JWT', kid: key.kid }, requester({ exp: now() - 60, iat: now() - 120 })),
      'WRIT_TOKEN_EXPIRED',
    ],
    [
      'signed by someone else',
      () =>
        forge({ alg: 'EdDSA', typ: 'JWT', kid: key.kid }, requester(), {
          alg: 'EdDSA',
          key: attackerEd25519(),
        }),
      'WRIT_TOKEN_INVALID',
      'bad_signature',
    ],
  ];
  it.each(cases)('%s', async (_name, token, code, reason) => {
    const identity = createLocalIdentity({ authority });
    const error = await identity
      .verifyRequester(token(), { signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect((error as WritError).code).toBe(code);
    if (reason !== undefined) expect((error as WritError).details.reason).toBe(reason);
  });

  it('and accept a genuine one', async () => {
    const identity = createLocalIdentity({ authority });
    const token = await identity.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
    await expect(
      identity.verifyRequester(token, { signal: new AbortController().signal }),
    ).resolves.toMatchObject({
      kind: 'human',
      id: 'alice@example.com',
      name: 'Alice',
      assurance: 'verified',
    });
  });
});

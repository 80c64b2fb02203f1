// Issue 23 item 2: a tool server verifies each caller token's signature once (createTaskTokenVerifier)
// and reuses the result for the token's lifetime. What can change during that lifetime must still be
// checked on every request: revocation and expiry. A token that differs in any byte is a different
// token, verified in full; a refused token is never remembered.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import {
  createLocalAuthority,
  createRevocationList,
  createTaskTokenVerifier,
  type LocalAuthority,
  mintTaskToken,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAttribution } from '../identity/cases/task-token.js';
import { attack } from './attacks.js';

const AUDIENCE = 'https://orders.example.com/mcp';
let dir: string;
let authority: LocalAuthority;
let stranger: LocalAuthority;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-token-cache-'));
  authority = await createLocalAuthority({ dir: join(dir, 'caller'), trustDomain: 'caller.example' });
  stranger = await createLocalAuthority({ dir: join(dir, 'stranger'), trustDomain: 'caller.example' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mint = async (ttlSec = 300, now = Date.now(), by: LocalAuthority = authority) =>
  (
    await mintTaskToken(by, {
      attribution: aliceAttribution(authority.agentId('support-bot')),
      audience: AUDIENCE,
      ttlSec,
      now,
    })
  ).token;

async function refusal(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}

describe('createTaskTokenVerifier: verify once, still refuse what changed', () => {
  it(
    attack('token-cache-revoked', 'a token revoked after it was cached is refused on the next request'),
    async () => {
      const revocations = createRevocationList();
      const calls: string[] = [];
      const verify = createTaskTokenVerifier({
        issuer: authority.issuer,
        audience: AUDIENCE,
        jwks: authority.jwks(),
        isRevoked: (jti) => {
          calls.push(jti);
          return revocations.isRevoked(jti);
        },
      });
      const token = await mint();
      const first = await verify(token);
      expect(await verify(token)).toBe(first); // the second request reuses the verified result
      revocations.revoke(first.jti, first.expiresAt);
      const error = await refusal(verify(token));
      expect(error.code).toBe('WRIT_TOKEN_REVOKED');
      expect(error.details).toMatchObject({ reason: 'revoked', jti: first.jti });
      // and every request asked the revocation list, cached or not
      expect(calls).toEqual([first.jti, first.jti, first.jti]);
    },
  );

  it(
    attack('token-cache-expired', 'a cached token is refused once the clock passes its exp (+ tolerance)'),
    async () => {
      let now = Date.now();
      const verify = createTaskTokenVerifier({
        issuer: authority.issuer,
        audience: AUDIENCE,
        jwks: authority.jwks(),
        clock: () => now,
        clockToleranceSec: 5,
      });
      const token = await mint(60, now);
      const verified = await verify(token);
      now = verified.expiresAt + 4_000; // inside the tolerance: still accepted, as jose would
      await expect(verify(token)).resolves.toBe(verified);
      now = verified.expiresAt + 5_000;
      expect((await refusal(verify(token))).code).toBe('WRIT_TOKEN_EXPIRED');
      // not resurrected by a later request either
      expect((await refusal(verify(token))).code).toBe('WRIT_TOKEN_EXPIRED');
    },
  );

  it(
    attack(
      'token-cache-forged-bytes',
      'a token altered after a genuine one was cached is verified and refused',
    ),
    async () => {
      const verify = createTaskTokenVerifier({
        issuer: authority.issuer,
        audience: AUDIENCE,
        jwks: authority.jwks(),
      });
      const token = await mint();
      await verify(token);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      // claims swapped under the genuine signature
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      const widened = Buffer.from(JSON.stringify({ ...claims, scope: '*' })).toString('base64url');
      expect((await refusal(verify(`${header}.${widened}.${signature}`))).code).toBe('WRIT_TOKEN_INVALID');
      // a signature from a key the server does not trust, on a token with the same claims: refused twice
      const foreign = await mint(300, Date.now(), stranger);
      expect((await refusal(verify(foreign))).code).toBe('WRIT_TOKEN_INVALID');
      expect((await refusal(verify(foreign))).code).toBe('WRIT_TOKEN_INVALID');
      // the genuine token still verifies
      await expect(verify(token)).resolves.toMatchObject({ audience: [AUDIENCE] });
    },
  );

  it('forgets the oldest token beyond maxEntries and remembers for at most maxAgeSec', async () => {
    let now = Date.now();
    const verify = createTaskTokenVerifier({
      issuer: authority.issuer,
      audience: AUDIENCE,
      jwks: authority.jwks(),
      maxEntries: 1,
      maxAgeSec: 10,
      clock: () => now,
    });
    const [a, b] = [await mint(300, now), await mint(300, now)];
    const first = await verify(a);
    expect(await verify(a)).toBe(first);
    await verify(b); // evicts a
    expect(await verify(a)).not.toBe(first);
    const again = await verify(a);
    now += 11_000;
    expect(await verify(a)).not.toBe(again); // verified in full again after maxAgeSec
  });
});

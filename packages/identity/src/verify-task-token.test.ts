import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from './__support__/failure.js';
import { createLocalAuthority, type LocalAuthority } from './local-authority.js';
import { ACCESS_TOKEN_TYP, readActors, TASK_TOKEN_TYP } from './task-token.js';
import { verifyTaskToken } from './verify-task-token.js';

let dir: string;
let authority: LocalAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-verify-task-token-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const AUD = 'https://payments.example.com';
const SUPPORT = 'spiffe://example.org/agent/support';

/** A token the authority signs with exactly these claims (over a valid base). */
function sign(over: Record<string, unknown> = {}, typ = TASK_TOKEN_TYP): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: authority.issuer,
    sub: 'alice@example.com',
    aud: AUD,
    txn: 'task-9',
    scope: 'orders:* payments:read',
    iat: now,
    exp: now + 60,
    jti: 'jti-9',
    req_wl: SUPPORT,
    act: { sub: SUPPORT },
    tctx: { correlation_id: 'corr-9', intent_digest: 'sha256:ab', parent_txn: 'task-8' },
    ...over,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return authority.sign(claims, { typ });
}

const options = () => ({ issuer: authority.issuer, audience: AUD, jwks: authority.jwks() });

describe('verifyTaskToken', () => {
  it('returns what the token says, frozen, with times in ms, from a JWKS or a key resolver', async () => {
    const token = await sign();
    const verified = await verifyTaskToken(token, { ...options(), jwks: authority.keyResolver() });
    expect(verified).toMatchObject({
      taskId: 'task-9',
      jti: 'jti-9',
      issuer: authority.issuer,
      audience: [AUD],
      subject: 'alice@example.com',
      actors: [SUPPORT],
      autonomous: false,
      scope: ['orders:*', 'payments:read'],
      correlationId: 'corr-9',
      intentDigest: 'sha256:ab',
      parentTaskId: 'task-8',
      requestingWorkload: SUPPORT,
    });
    expect(verified.expiresAt - verified.issuedAt).toBe(60_000);
    expect(Object.isFrozen(verified)).toBe(true);
  });

  it('reads the carried claims from the signed token only, and refuses malformed ones', async () => {
    const carried = await verifyTaskToken(
      await sign({
        sub_id: { format: 'iss_sub', iss: 'https://login.example.com', sub: 'alice@example.com' },
        tctx: {
          correlation_id: 'c',
          intent_digest: 'sha256:ab',
          req_assurance: 'verified',
          caller_log: 'writ.example/orchestrator',
          caller_span: '00f067aa0ba902b7',
        },
      }),
      options(),
    );
    expect(carried).toMatchObject({
      intentDigest: 'sha256:ab',
      requester: { issuer: 'https://login.example.com', assurance: 'verified' },
      callerLog: 'writ.example/orchestrator',
      callerSpanId: '00f067aa0ba902b7',
    });
    // an older caller: none of them, nothing invented
    const older = await verifyTaskToken(await sign({ tctx: { correlation_id: 'c' } }), options());
    expect(older).toMatchObject({
      intentDigest: undefined,
      requester: undefined,
      callerLog: undefined,
      callerSpanId: undefined,
    });
    // a sub_id without the assurance (or the reverse) does not make a requester provenance
    const half = await verifyTaskToken(
      await sign({ sub_id: { format: 'iss_sub', iss: 'https://idp', sub: 'alice@example.com' } }),
      options(),
    );
    expect(half.requester).toBeUndefined();
    // another RFC 9493 format names no identity provider: ignored, not refused
    const email = await verifyTaskToken(
      await sign({
        sub_id: { format: 'email', email: 'alice@example.com' },
        tctx: { correlation_id: 'c', req_assurance: 'verified' },
      }),
      options(),
    );
    expect(email.requester).toBeUndefined();
    for (const over of [
      { sub_id: { format: 'iss_sub', iss: 'https://idp', sub: 'mallory@example.com' } },
      { sub_id: 'https://idp' },
      { tctx: { correlation_id: 'c', caller_span: '0000000000000000' } },
      { tctx: { correlation_id: 'c', caller_span: 'XYZ' } },
      { tctx: { correlation_id: 'c', caller_log: 'two\nlines' } },
      { tctx: { correlation_id: 'c', req_assurance: 'trusted' } },
      { tctx: { correlation_id: 'c', intent_digest: 42 } },
    ]) {
      const error = await failure(verifyTaskToken(await sign(over), options()));
      expect(error.code).toBe('WRIT_TOKEN_INVALID');
    }
  });

  it('checks typ against the accepted types', async () => {
    expect((await failure(verifyTaskToken(await sign({}, 'JWT'), options()))).details).toMatchObject({
      token: 'task token',
      reason: 'typ',
    });
    const credential = await sign({}, ACCESS_TOKEN_TYP);
    await expect(verifyTaskToken(credential, options())).resolves.toBeDefined();
    const refused = await failure(verifyTaskToken(credential, { ...options(), types: [TASK_TOKEN_TYP] }));
    expect(refused.details.reason).toBe('typ');
  });

  it('refuses claims of the wrong shape, each with its own reason', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ txn: '' }, 'claim_txn'],
      [{ jti: '' }, 'claim_jti'],
      [{ sub: '' }, 'claim_sub'],
      [{ scope: 5 }, 'claim_scope'],
      [{ act: { sub: 7 } }, 'claim_act'],
      [{ act: [SUPPORT] }, 'claim_act'],
      [{ act: undefined }, 'claim_act'], // a human subject needs acting agents
      [{ txn: undefined }, 'missing_claim'],
      // times a Date cannot hold: a signed exp of 1e308 must not read as a token that never expires
      [{ exp: 1e308 }, 'claim_exp'],
      [{ exp: 8.64e12 + 1 }, 'claim_exp'],
      [{ nbf: -1e300 }, 'claim_nbf'],
      [{ iat: -1e20 }, 'claim_iat'],
    ];
    for (const [claims, reason] of cases) {
      const error = await failure(verifyTaskToken(await sign(claims), options()));
      expect({ code: error.code, reason: error.details.reason }, JSON.stringify(claims)).toEqual({
        code: 'WRIT_TOKEN_INVALID',
        reason,
      });
    }
  });

  it('an autonomous token names its first agent as subject and needs no act', async () => {
    const verified = await verifyTaskToken(
      await sign({ sub: SUPPORT, act: undefined, tctx: { correlation_id: 'c', autonomous: true } }),
      options(),
    );
    expect(verified).toMatchObject({ subject: SUPPORT, actors: [SUPPORT], autonomous: true });
  });

  it('asks isRevoked (sync or async) and checks required scope with wildcards', async () => {
    const token = await sign();
    const asked: string[] = [];
    const revoked = await failure(
      verifyTaskToken(token, {
        ...options(),
        isRevoked: async (jti) => {
          asked.push(jti);
          return true;
        },
      }),
    );
    expect(revoked).toMatchObject({
      code: 'WRIT_TOKEN_REVOKED',
      details: { reason: 'revoked', jti: 'jti-9' },
    });
    expect(asked).toEqual(['jti-9']);
    await expect(
      verifyTaskToken(token, { ...options(), isRevoked: () => false, requiredScope: ['orders:refund'] }),
    ).resolves.toBeDefined();
    const missing = await failure(
      verifyTaskToken(token, { ...options(), requiredScope: ['orders:refund', 'payments:write'] }),
    );
    expect(missing).toMatchObject({
      code: 'WRIT_SCOPE_EXCEEDED',
      message: 'task token refused: scope does not cover payments:write',
      details: { reason: 'insufficient_scope', missing: ['payments:write'] },
    });
  });

  it('validates its options eagerly', async () => {
    const error = await failure(verifyTaskToken(await sign(), { ...options(), isRevoked: 'no' as never }));
    expect(error.code).toBe('WRIT_OPTIONS_INVALID');
    expect(error.message).toBe('verifyTaskToken: options.isRevoked: must be a function');
  });
});

describe('readActors (the nested act claim, read back)', () => {
  it('lists subjects current first; absent is none; anything malformed or deeper than 32 is undefined', () => {
    expect(readActors(undefined)).toEqual([]);
    expect(readActors({ sub: 'b', act: { sub: 'a' } })).toEqual(['b', 'a']);
    for (const bad of [null, 'a', [], { sub: '' }, { act: { sub: 'a' } }, { sub: 'b', act: 'a' }]) {
      expect(readActors(bad), JSON.stringify(bad)).toBeUndefined();
    }
    let deep: unknown;
    for (let i = 0; i < 32; i++) deep = deep === undefined ? { sub: `a${i}` } : { sub: `a${i}`, act: deep };
    expect(readActors(deep)).toHaveLength(32);
    expect(readActors({ sub: 'one-more', act: deep })).toBeUndefined();
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import type { Attribution } from '@writ/core';
import { sha256Hex } from '@writ/core/plugin';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalAuthority, type LocalAuthority } from './local-authority.js';
import { mintTaskToken } from './mint-task-token.js';
import { ACCESS_TOKEN_TYP, TASK_TOKEN_TYP } from './task-token.js';
import { verifyTaskToken } from './verify-task-token.js';

let dir: string;
let authority: LocalAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-mint-task-token-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const agentIds = (names: readonly string[]) => names.map((name) => `spiffe://example.org/agent/${name}`);
const attribution = (agents: readonly string[], over: Partial<Attribution> = {}): Attribution => ({
  taskId: 'task-7',
  correlationId: 'corr-7',
  requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
  autonomous: false,
  chain: agentIds(agents).map((id) => ({ kind: 'agent' as const, id, assurance: 'verified' as const })),
  scope: ['orders:read'],
  ...over,
});

describe('mintTaskToken', () => {
  it('signs with the authority: typ txntoken+jwt by default, the given typ, scope and clock otherwise', async () => {
    const minted = await mintTaskToken(authority, {
      attribution: attribution(['support']),
      audience: ['https://a.example', 'https://b.example'],
      ttlSec: 90,
      now: 1_700_000_000_500,
    });
    expect(decodeProtectedHeader(minted.token)).toEqual({
      alg: 'EdDSA',
      kid: authority.kid,
      typ: TASK_TOKEN_TYP,
    });
    expect(minted.claims).toMatchObject({
      iss: authority.issuer,
      aud: ['https://a.example', 'https://b.example'],
      iat: 1_700_000_000,
      exp: 1_700_000_090,
      scope: 'orders:read',
      act: { sub: 'spiffe://example.org/agent/support' },
      req_wl: 'spiffe://example.org/agent/support',
    });
    expect(minted.claims.jti).toMatch(/^[0-9a-f-]{36}$/);

    const narrowed = await mintTaskToken(authority, {
      attribution: attribution(['support']),
      audience: 'https://payments.example.com',
      ttlSec: 30,
      typ: ACCESS_TOKEN_TYP,
      scope: [],
    });
    expect(decodeProtectedHeader(narrowed.token).typ).toBe(ACCESS_TOKEN_TYP);
    expect(narrowed.claims.scope).toBe('');
    expect(narrowed.claims.jti).not.toBe(minted.claims.jti);
  });

  it('puts the intent digest, parent task and autonomy in tctx only when there is something to say', async () => {
    const plain = await mintTaskToken(authority, {
      attribution: attribution(['support']),
      audience: 'x',
      ttlSec: 5,
    });
    // a requester no issuer vouches for: its assurance, no sub_id
    expect(plain.claims.tctx).toEqual({ correlation_id: 'corr-7', req_assurance: 'verified' });
    expect(plain.claims.sub_id).toBeUndefined();
    const full = await mintTaskToken(authority, {
      attribution: attribution(['cron'], {
        requester: undefined,
        autonomous: true,
        intent: 'nightly export',
        parentTaskId: 'task-6',
      }),
      audience: 'x',
      ttlSec: 5,
    });
    expect(full.claims.tctx).toEqual({
      correlation_id: 'corr-7',
      intent_digest: sha256Hex('nightly export'),
      parent_txn: 'task-6',
      autonomous: true,
    });
    expect(full.claims.sub).toBe('spiffe://example.org/agent/cron');
    expect(full.claims.act).toBeUndefined();
  });

  it("carries what the callee needs to stand alone: the requester's IdP and assurance, the caller's log and span", async () => {
    const { token, claims } = await mintTaskToken(authority, {
      attribution: attribution(['support', 'billing'], {
        requester: {
          kind: 'human',
          id: 'alice@example.com',
          issuer: 'https://login.example.com',
          assurance: 'asserted',
        },
        intent: 'Refund order 42',
      }),
      audience: 'https://orders.example.com',
      ttlSec: 30,
      typ: ACCESS_TOKEN_TYP,
      callerLog: 'writ.example/orchestrator',
      callerSpanId: '5f0c2a1b9d8e7f60',
    });
    expect(claims.sub_id).toEqual({
      format: 'iss_sub',
      iss: 'https://login.example.com',
      sub: 'alice@example.com',
    });
    expect(claims.tctx).toMatchObject({
      intent_digest: sha256Hex('Refund order 42'),
      req_assurance: 'asserted',
      caller_log: 'writ.example/orchestrator',
      caller_span: '5f0c2a1b9d8e7f60',
    });
    const verified = await verifyTaskToken(token, {
      issuer: authority.issuer,
      audience: 'https://orders.example.com',
      jwks: authority.jwks(),
    });
    expect(verified).toMatchObject({
      intentDigest: sha256Hex('Refund order 42'),
      requester: { issuer: 'https://login.example.com', assurance: 'asserted' },
      callerLog: 'writ.example/orchestrator',
      callerSpanId: '5f0c2a1b9d8e7f60',
    });
  });

  it('refuses an attribution without agents', async () => {
    await expect(
      mintTaskToken(authority, { attribution: attribution([]), audience: 'x', ttlSec: 5 }),
    ).rejects.toMatchObject({ code: 'WRIT_IDENTITY_INVALID' });
  });

  test.prop(
    [
      fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
    ],
    { numRuns: 40 },
  )(
    'the chain survives mint then verify, whatever its length, with or without a human',
    async (names, human) => {
      const chain = attribution(names, human ? {} : { requester: undefined, autonomous: true });
      const { token, claims } = await mintTaskToken(authority, {
        attribution: chain,
        audience: 'x',
        ttlSec: 60,
      });
      const verified = await verifyTaskToken(token, {
        issuer: authority.issuer,
        audience: 'x',
        jwks: authority.jwks(),
      });
      expect(verified.actors).toEqual(agentIds(names));
      expect(verified.autonomous).toBe(!human);
      expect(verified.subject).toBe(human ? 'alice@example.com' : agentIds(names)[0]);
      // the workload that asked is the one before the current agent (the only agent when there is one)
      expect(claims.req_wl).toBe(agentIds(names).at(-2) ?? agentIds(names)[0]);
    },
  );
});

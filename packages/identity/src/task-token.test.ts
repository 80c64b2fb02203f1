import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attribution } from '@writ/core';
import { WritError } from '@writ/core';
import {
  ACCESS_TOKEN_TYP,
  createLocalAuthority,
  createRevocationList,
  type LocalAuthority,
  mintTaskToken,
  verifyTaskToken,
  verifyTaskTokenFromRequest,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let authority: LocalAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-task-token-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const agent = (name: string) => ({
  kind: 'agent' as const,
  id: `spiffe://example.org/agent/${name}`,
  name,
  assurance: 'verified' as const,
});
const attribution = (over: Partial<Attribution> = {}): Attribution => ({
  taskId: 'task-1',
  correlationId: 'corr-1',
  requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
  autonomous: false,
  chain: [agent('support'), agent('billing')],
  intent: 'Refund order 42',
  scope: ['orders:read', 'orders:refund'],
  parentTaskId: 'task-0',
  ...over,
});
const verifyOptions = () => ({
  issuer: authority.issuer,
  audience: 'https://payments.example.com',
  jwks: authority.jwks(),
});

describe('task tokens', () => {
  it('carry requester, nested act (current actor outermost), txn, scope and transaction context', async () => {
    const { token, claims } = await mintTaskToken(authority, {
      attribution: attribution(),
      audience: 'https://payments.example.com',
      ttlSec: 300,
    });
    expect(claims).toMatchObject({
      iss: 'spiffe://example.org',
      sub: 'alice@example.com',
      aud: 'https://payments.example.com',
      txn: 'task-1',
      scope: 'orders:read orders:refund',
      act: { sub: 'spiffe://example.org/agent/billing', act: { sub: 'spiffe://example.org/agent/support' } },
      req_wl: 'spiffe://example.org/agent/support',
      tctx: {
        correlation_id: 'corr-1',
        parent_txn: 'task-0',
        intent_digest: expect.stringMatching(/^sha256:/),
      },
    });
    expect(claims.exp - claims.iat).toBe(300);
    const verified = await verifyTaskToken(token, verifyOptions());
    expect(verified).toMatchObject({
      taskId: 'task-1',
      subject: 'alice@example.com',
      actors: ['spiffe://example.org/agent/support', 'spiffe://example.org/agent/billing'],
      scope: ['orders:read', 'orders:refund'],
      correlationId: 'corr-1',
      parentTaskId: 'task-0',
      autonomous: false,
    });
  });

  it('name the first agent as subject when the task is autonomous', async () => {
    const { token, claims } = await mintTaskToken(authority, {
      attribution: attribution({
        requester: undefined,
        autonomous: true,
        chain: [agent('cron'), agent('worker')],
      }),
      audience: 'https://payments.example.com',
      ttlSec: 60,
    });
    expect(claims.sub).toBe('spiffe://example.org/agent/cron');
    expect(claims.act).toEqual({ sub: 'spiffe://example.org/agent/worker' });
    const verified = await verifyTaskToken(token, verifyOptions());
    expect(verified.actors).toEqual(['spiffe://example.org/agent/cron', 'spiffe://example.org/agent/worker']);
    expect(verified.autonomous).toBe(true);
  });

  it('refuse revoked tokens and tokens without the required scope', async () => {
    const { token, claims } = await mintTaskToken(authority, {
      attribution: attribution(),
      audience: 'https://payments.example.com',
      ttlSec: 60,
    });
    const revocations = createRevocationList();
    await expect(
      verifyTaskToken(token, {
        ...verifyOptions(),
        requiredScope: 'orders:refund',
        isRevoked: revocations.isRevoked,
      }),
    ).resolves.toBeDefined();
    await expect(
      verifyTaskToken(token, { ...verifyOptions(), requiredScope: ['orders:delete'] }),
    ).rejects.toMatchObject({
      code: 'WRIT_SCOPE_EXCEEDED',
      details: { missing: ['orders:delete'] },
    });
    revocations.revoke(claims.jti, claims.exp * 1000);
    await expect(
      verifyTaskToken(token, { ...verifyOptions(), isRevoked: revocations.isRevoked }),
    ).rejects.toMatchObject({ code: 'WRIT_TOKEN_REVOKED' });
  });

  it('are read from requests by the framework-neutral helper (Txn-Token header, optionally Bearer)', async () => {
    const { token } = await mintTaskToken(authority, {
      attribution: attribution(),
      audience: 'https://payments.example.com',
      ttlSec: 60,
      typ: ACCESS_TOKEN_TYP,
    });
    const fetchRequest = new Request('https://payments.example.com/refunds', {
      headers: { 'Txn-Token': token },
    });
    await expect(verifyTaskTokenFromRequest(fetchRequest, verifyOptions())).resolves.toMatchObject({
      taskId: 'task-1',
    });
    const nodeRequest = { headers: { authorization: `Bearer ${token}` } };
    await expect(verifyTaskTokenFromRequest(nodeRequest, verifyOptions())).rejects.toMatchObject({
      code: 'WRIT_TOKEN_INVALID',
      details: { reason: 'missing' },
    });
    await expect(
      verifyTaskTokenFromRequest(nodeRequest, { ...verifyOptions(), allowBearer: true }),
    ).resolves.toMatchObject({ taskId: 'task-1' });
  });

  it('validate verifier options and name the bad one', async () => {
    await expect(
      verifyTaskToken('x', { issuer: '', audience: 'a', jwks: authority.jwks() }),
    ).rejects.toSatisfy(
      (e: unknown) => WritError.isInstance(e, 'WRIT_OPTIONS_INVALID') && e.message.includes('options.issuer'),
    );
  });
});

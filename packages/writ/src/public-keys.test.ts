import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@writ/audit';
import { verifyTaskToken } from '@writ/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-public-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writ.publicKeys()', () => {
  it('gives only public material, and it is enough to verify the tokens the instance issues and its log', async () => {
    const writ = createWrit({ dir, trustDomain: 'support.example' });
    const keys = await writ.publicKeys();
    expect(keys.issuer).toBe('spiffe://support.example');
    expect(keys.trustDomain).toBe('support.example');
    expect(keys.jwks.keys).toHaveLength(1);
    for (const key of keys.jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
    expect(JSON.stringify(keys)).not.toMatch(/"d"/);

    // a service holding only these keys verifies what the instance sends it (and refuses once revoked)
    const { localIdentity, revocations } = await writ.ready();
    const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
    const audience = 'https://orders.example.com/mcp';
    const writTool = writ.tool({
      name: 'ask_orders',
      audience,
      input: z.object({}),
      annotations: { readOnly: true },
      permission: 'orders:read',
      execute: async (_args, ctx) => ctx.credential?.token as string,
    });
    const verify = (token: string) =>
      verifyTaskToken(token, {
        issuer: keys.issuer,
        audience,
        jwks: keys.jwks,
        isRevoked: revocations?.isRevoked,
      });
    const token = await writ.task(
      { requester: alice, agent: 'support-bot', scope: ['orders:*'] },
      async () => {
        const sent = await writTool.execute({});
        await expect(verify(sent)).resolves.toMatchObject({ subject: 'alice@example.com' });
        return sent;
      },
    );
    await expect(verify(token)).rejects.toMatchObject({ code: 'WRIT_TOKEN_REVOKED' }); // its task has ended
    expect(revocations?.size).toBeGreaterThan(0);

    await writ.close();
    const verified = await verifyLog(join(dir, 'audit'), { verifierKey: keys.verifierKey, deep: true });
    expect(verified).toMatchObject({ ok: true, keyPinned: true });
    expect(keys.logOrigin).toEqual(expect.any(String));
  });

  it('has no revocation list or log verifier key to give when those components are your own', async () => {
    const writ = createWrit({
      dir,
      credentials: {
        name: 'mine',
        issueTaskCredential: async () => {
          throw new Error('unused');
        },
        credentialFor: async () => {
          throw new Error('unused');
        },
        revokeTask: async () => [],
      },
      audit: { name: 'mine', append: async () => ({ log: 'mine', index: 0, leafHash: '' }) },
    });
    const keys = await writ.publicKeys();
    expect(keys.verifierKey).toBeUndefined();
    expect(keys.logOrigin).toBeUndefined();
    expect((await writ.ready()).revocations).toBeUndefined();
  });
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('publishes the public material on start, and the CLI exports the JWKS and verifies the log from it alone', async () => {
    const writ = createWrit({ dir, trustDomain: 'support.example' });
    const keys = await writ.publicKeys();
    const { localIdentity } = await writ.ready();
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      annotations: { readOnly: true },
      permission: 'orders:read',
      execute: async ({ orderId }) => ({ orderId }),
    });
    const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
    await writ.task({ requester: alice, agent: 'support-bot' }, () => lookup.execute({ orderId: '42' }));
    await writ.close();

    const published = join(dir, 'public');
    expect(JSON.parse(await readFile(join(published, 'jwks.json'), 'utf8'))).toEqual(keys.jwks);
    expect((await readFile(join(published, 'log.verifier-key'), 'utf8')).trim()).toBe(keys.verifierKey);
    expect((await stat(join(published, 'jwks.json'))).mode & 0o777).toBe(0o644);
    expect((await stat(published)).mode & 0o777).toBe(0o755);
    expect(await readFile(join(published, 'jwks.json'), 'utf8')).not.toMatch(/"d"/);

    // the private key directory gone: the published files are all the CLI needs
    await rm(join(dir, 'keys'), { recursive: true });
    const exported = await cli(['keys', 'export-jwks', '--public', published]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual(keys.jwks);
    const verified = await cli([
      'verify',
      join(dir, 'audit'),
      '--key-file',
      join(published, 'log.verifier-key'),
      '--json',
    ]);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });

    // a "public" file that holds a private member is refused, and nothing of it is printed
    const leaky = join(dir, 'leaky.json');
    await writeFile(leaky, JSON.stringify({ keys: [{ ...keys.jwks.keys[0], d: 'c2VjcmV0' }] }));
    const refused = await cli(['keys', 'export-jwks', '--public', leaky]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('WRIT_IDENTITY_INVALID');
    expect(refused.stderr).toContain('private key material (d)');
    expect(`${refused.stdout}${refused.stderr}`).not.toContain('c2VjcmV0');
  });

  it('publishes nothing with publicDir: false', async () => {
    const writ = createWrit({ dir, publicDir: false });
    await writ.ready();
    await writ.close();
    expect(existsSync(join(dir, 'public'))).toBe(false);
  });
});

const CLI_BIN = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));

/** The built `writ` command, run as a user runs it. */
function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

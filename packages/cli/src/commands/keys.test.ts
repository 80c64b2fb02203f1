// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess: build before running.

import { existsSync } from 'node:fs';
import { chmod, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreateNoteSigner } from '@writ/audit/internal';
import { createLocalAuthority } from '@writ/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, tempDir } from '../__support__/cli.js';
import { jwkThumbprint } from './keys.js';

const keyInfo = z.strictObject({
  kid: z.string(),
  thumbprint: z.string(),
  kty: z.string(),
  crv: z.string().nullable(),
  alg: z.string().nullable(),
  current: z.boolean(),
});
const showJson = z.strictObject({
  dir: z.string(),
  authority: z
    .strictObject({ trustDomain: z.string(), issuer: z.string(), kid: z.string(), keys: z.array(keyInfo) })
    .nullable(),
  verifierKeys: z.array(z.strictObject({ file: z.string(), name: z.string(), verifierKey: z.string() })),
  problems: z.array(z.strictObject({ file: z.string(), code: z.string(), message: z.string() })),
});
const jwks = z.strictObject({
  keys: z.array(
    z.strictObject({
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      x: z.string(),
      kid: z.string(),
      alg: z.literal('EdDSA'),
      use: z.literal('sig'),
    }),
  ),
});

/** A fresh temp dir per test (the tests run concurrently), removed afterwards. */
async function scratch(
  onTestFinished: (fn: () => Promise<void>) => void,
): Promise<{ dir: string; keys: string }> {
  const dir = await tempDir('writ-cli-keys-');
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return { dir, keys: join(dir, 'keys') };
}

describe.concurrent('writ keys', () => {
  it('show: kid, issuer / trust domain, public key thumbprints and the checkpoint verifier keys', async ({
    onTestFinished,
  }) => {
    const { dir, keys } = await scratch(onTestFinished);
    const authority = await createLocalAuthority({ dir: keys });
    const signer = await loadOrCreateNoteSigner(keys, 'writ/audit/support');
    const r = await runCli(['keys', 'show', '--dir', keys, '--json']);
    expect(r.code).toBe(0);
    const shown = showJson.parse(JSON.parse(r.stdout));
    expect(shown.authority).toEqual({
      trustDomain: 'writ.local',
      issuer: 'spiffe://writ.local',
      kid: authority.kid,
      keys: [
        {
          kid: authority.kid,
          thumbprint: authority.kid,
          kty: 'OKP',
          crv: 'Ed25519',
          alg: 'EdDSA',
          current: true,
        },
      ],
    });
    expect(shown.verifierKeys).toEqual([
      {
        file: expect.stringMatching(/\.note-key$/),
        name: 'writ/audit/support',
        verifierKey: signer.verifierKey,
      },
    ]);
    expect(shown.problems).toEqual([]);

    const text = await runCli(['keys', 'show', '--dir', 'keys', '--trust-domain', 'corp.example'], {
      cwd: dir,
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`current kid   ${authority.kid}`);
    expect(text.stdout).toContain('issuer        spiffe://corp.example');
    expect(text.stdout).toContain(`* current  ${authority.kid}`);
    expect(text.stdout).toContain(signer.verifierKey);
    expect(text.stdout).not.toMatch(/PRIVATE\+KEY/); // never the signer key
  });

  it('export-jwks prints only public keys, or writes them to --out', async ({ onTestFinished }) => {
    const { dir, keys } = await scratch(onTestFinished);
    const authority = await createLocalAuthority({ dir: keys });
    const r = await runCli(['keys', 'export-jwks', '--dir', keys]);
    expect(r.code).toBe(0);
    const printed = jwks.parse(JSON.parse(r.stdout)); // strict: a private "d" member would fail
    expect(printed.keys.map((k) => k.kid)).toEqual([authority.kid]);
    expect(jwkThumbprint(printed.keys[0] as Record<string, unknown>)).toBe(authority.kid);

    const out = join(dir, 'public', 'jwks.json');
    const written = await runCli(['keys', 'export-jwks', '--dir', keys, '--out', out, '--json']);
    expect(written.code).toBe(0);
    expect(JSON.parse(written.stdout)).toEqual({ out, kids: [authority.kid] });
    expect(jwks.parse(JSON.parse(await readFile(out, 'utf8')))).toEqual(printed);
  });

  it('rotate makes a new current key and keeps the previous one in the JWKS', async ({ onTestFinished }) => {
    const { keys } = await scratch(onTestFinished);
    const before = (await createLocalAuthority({ dir: keys })).kid;
    const r = await runCli(['keys', 'rotate', '--dir', keys, '--json']);
    expect(r.code).toBe(0);
    const rotated = JSON.parse(r.stdout) as { dir: string; previousKid: string; kid: string; kids: string[] };
    expect(rotated.previousKid).toBe(before);
    expect(rotated.kid).not.toBe(before);
    expect(rotated.kids).toEqual([rotated.kid, before]);
    expect((await createLocalAuthority({ dir: keys })).kid).toBe(rotated.kid); // persisted
    const text = await runCli(['keys', 'rotate', '--dir', keys, '--retain', '0']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`previous ${rotated.kid}`);
    const after = showJson.parse(
      JSON.parse((await runCli(['keys', 'show', '--dir', keys, '--json'])).stdout),
    );
    expect(after.authority?.keys).toHaveLength(1);
  });

  it('never creates keys: a directory without them exits 3; loose permissions exit 3; bad --retain exits 2', async ({
    onTestFinished,
  }) => {
    const { keys } = await scratch(onTestFinished);
    const show = await runCli(['keys', 'show', '--dir', keys]);
    expect(show.code).toBe(3);
    expect(show.stderr).toMatch(/^WRIT_IDENTITY_UNAVAILABLE: .*holds no local authority/);
    expect((await runCli(['keys', 'rotate', '--dir', keys])).code).toBe(3);
    expect((await runCli(['keys', 'export-jwks', '--dir', keys])).code).toBe(3);
    expect(existsSync(keys)).toBe(false);

    await createLocalAuthority({ dir: keys });
    await chmod(join(keys, 'authority.json'), 0o644);
    const loose = await runCli(['keys', 'show', '--dir', keys]);
    expect(loose.code).toBe(3);
    expect(loose.stderr).toMatch(/^WRIT_IDENTITY_INVALID: .*readable by group or others/);

    const retain = await runCli(['keys', 'rotate', '--dir', keys, '--retain', 'many']);
    expect(retain.code).toBe(2);
    expect(retain.stderr).toMatch(/must be a whole number/);
    expect((await runCli(['keys'])).code).toBe(2);
  });
});

describe('jwkThumbprint', () => {
  it('matches the RFC 8037 appendix A.3 example', () => {
    expect(
      jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }),
    ).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { loadOrCreateLogMeta, readLogMeta } from './log-meta.js';

let dir: string;
useTempDir('writ-log-meta-', (path) => {
  dir = path;
});

describe('log.json', () => {
  it('is written once for a new log, with a fresh origin and its signer key, and read back after', async () => {
    const origins: string[] = [];
    const signerFor = async (origin: string) => {
      origins.push(origin);
      return createNoteSigner(generateNoteKeys(origin).signerKey);
    };
    const meta = await loadOrCreateLogMeta(dir, signerFor);
    expect(meta.origin).toMatch(/^writ\/audit\/[0-9a-f-]{36}$/);
    expect(meta.verifierKey.startsWith(`${meta.origin}+`)).toBe(true);
    expect(origins).toEqual([meta.origin]);
    expect((await stat(join(dir, 'log.json'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, 'log.json'), 'utf8'))).toEqual(meta);
    expect(await loadOrCreateLogMeta(dir, signerFor)).toEqual(meta);
    expect(origins).toHaveLength(1);
    expect(await readLogMeta(dir)).toMatchObject({ origin: meta.origin, verifierKey: meta.verifierKey });
  });

  it('refuses a log.json that is not a Writ log description, and a directory without one', async () => {
    await writeFile(join(dir, 'log.json'), JSON.stringify({ v: 2, origin: 'x', verifierKey: 'y' }));
    const signerFor = async () => {
      throw new Error('must not create a key');
    };
    await expect(loadOrCreateLogMeta(dir, signerFor)).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      message: `${join(dir, 'log.json')} is not a Writ log description`,
    });
    const empty = join(dir, 'empty');
    const error = await readLogMeta(empty).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((error as WritError).message).toBe(`${empty} holds no Writ log (log.json missing)`);
  });
});

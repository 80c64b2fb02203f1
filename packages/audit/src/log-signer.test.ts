import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './__support__/log.js';
import { createNoteSigner, generateNoteKeys } from './checkpoint/signer-key.js';
import { loadOrCreateNoteSigner, logSigner } from './log-signer.js';

let dir: string;
useTempDir('writ-signer-', (path) => {
  dir = path;
});

const refusal = async (promise: Promise<unknown>): Promise<WritError> => {
  try {
    await promise;
  } catch (error) {
    if (WritError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a WritError');
};

describe('the signing key of a log', () => {
  it('is created once, 0600, in a file named after the origin, and read back after', async () => {
    const first = await loadOrCreateNoteSigner(dir, 'writ/audit/one');
    const file = join(dir, 'writ_audit_one.note-key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).startsWith('PRIVATE+KEY+writ/audit/one+')).toBe(true);
    const again = await loadOrCreateNoteSigner(dir, 'writ/audit/one');
    expect(again.verifierKey).toBe(first.verifierKey);
    expect((await loadOrCreateNoteSigner(dir, 'writ/audit/two')).verifierKey).not.toBe(first.verifierKey);
  });

  it('is refused when group or others can read it', async () => {
    await loadOrCreateNoteSigner(dir, 'writ/audit/one');
    await chmod(join(dir, 'writ_audit_one.note-key'), 0o640);
    const error = await refusal(loadOrCreateNoteSigner(dir, 'writ/audit/one'));
    expect(error.code).toBe('WRIT_AUDIT_UNAVAILABLE');
    expect(error.details).toEqual({ reason: 'key_file_permissions' });
  });

  it('comes from the signer option before the key directory', async () => {
    const given = createNoteSigner(generateNoteKeys('writ/audit/one').signerKey);
    expect(await logSigner({ signer: given, keyDir: dir }, 'writ/audit/one')).toBe(given);
    const fromDir = await logSigner({ keyDir: dir }, 'writ/audit/one');
    expect(fromDir.verifierKey).toBe((await loadOrCreateNoteSigner(dir, 'writ/audit/one')).verifierKey);
  });

  it('must be the key the log records, or the log cannot be continued', async () => {
    const recorded = (await loadOrCreateNoteSigner(dir, 'writ/audit/one')).verifierKey;
    await expect(
      logSigner({ keyDir: dir }, 'writ/audit/one', { verifierKey: recorded }),
    ).resolves.toMatchObject({ verifierKey: recorded });
    const other = createNoteSigner(generateNoteKeys('writ/audit/one').signerKey);
    const error = await refusal(
      logSigner({ signer: other, keyDir: dir }, 'writ/audit/one', {
        verifierKey: recorded,
        details: { logId: 'one' },
      }),
    );
    expect(error.code).toBe('WRIT_AUDIT_UNAVAILABLE');
    expect(error.message).toBe('the signing key does not match the key recorded for log writ/audit/one');
    expect(error.details).toEqual({ reason: 'key_mismatch', logId: 'one' });
  });

  it('is never created with createKey: false (a fleet provisions keys): a missing key is a typed deployment error', async () => {
    const keys = join(dir, 'provisioned');
    const error = await refusal(logSigner({ keyDir: keys, createKey: false }, 'writ/audit/fleet'));
    expect(error.code).toBe('WRIT_AUDIT_UNAVAILABLE');
    expect(error.details).toEqual({ reason: 'key_missing' });
    await expect(stat(keys)).rejects.toMatchObject({ code: 'ENOENT' }); // nothing was created
    // once provisioned, it is used
    const made = await loadOrCreateNoteSigner(keys, 'writ/audit/fleet');
    const loaded = await logSigner({ keyDir: keys, createKey: false }, 'writ/audit/fleet');
    expect(loaded.verifierKey).toBe(made.verifierKey);
  });
});

import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WritError } from '@writ/core';
import {
  type CheckpointSigner,
  createNoteSigner,
  generateNoteKeys,
  type NoteSigner,
} from './checkpoint/signer-key.js';

/**
 * The checkpoint-signing key of a log, from `<dir>/<name>.note-key` (a C2SP signer key, mode 0600),
 * created on first use (unless `create: false`: a missing key is refused, `WRIT_AUDIT_UNAVAILABLE`,
 * reason `key_missing`). A key file readable by group or others is refused.
 *
 * @example
 * ```ts
 * const signer = await loadOrCreateNoteSigner('.writ/keys', 'writ.local/audit');
 * signer.verifierKey; // 'writ.local/audit+1a2b3c4d+AQ…' — publish it to verifiers
 * ```
 */
export async function loadOrCreateNoteSigner(
  dir: string,
  name: string,
  options: { readonly create?: boolean | undefined } = {},
): Promise<NoteSigner> {
  const full = resolve(dir);
  const file = join(full, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.note-key`);
  if (options.create === false) {
    try {
      return createNoteSigner((await readKeyFile(file)).trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new WritError(
        'WRIT_AUDIT_UNAVAILABLE',
        `the checkpoint-signing key of log ${name} is missing (${file}) and creating keys is off: provision the key, or pass a signer`,
        { details: { reason: 'key_missing' } },
      );
    }
  }
  await mkdir(full, { recursive: true, mode: 0o700 });
  try {
    return createNoteSigner((await readKeyFile(file)).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { signerKey } = generateNoteKeys(name);
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${signerKey}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return createNoteSigner(signerKey);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return createNoteSigner((await readKeyFile(file)).trim());
    throw error;
  }
}

/**
 * The signer a sink seals log `origin` with: the one given, else the log's key in `keyDir` (created on
 * first use, {@link loadOrCreateNoteSigner}). When the log already records a verifier key, a signer with another key is refused
 * (`WRIT_AUDIT_UNAVAILABLE`, reason `key_mismatch`, plus `details`): it could not continue the log.
 *
 * @example
 * ```ts
 * const signer = await logSigner({ signer: o.signer, keyDir: o.keyDir ?? '.writ/keys' }, meta.origin, {
 *   verifierKey: meta.verifierKey,
 * });
 * ```
 * @internal
 */
export async function logSigner(
  options: {
    readonly signer?: CheckpointSigner | undefined;
    readonly keyDir: string;
    readonly createKey?: boolean | undefined;
  },
  origin: string,
  recorded?: { readonly verifierKey: string; readonly details?: Record<string, unknown> },
): Promise<CheckpointSigner> {
  const signer =
    options.signer ?? (await loadOrCreateNoteSigner(options.keyDir, origin, { create: options.createKey }));
  if (recorded !== undefined && signer.verifierKey !== recorded.verifierKey) {
    throw new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      `the signing key does not match the key recorded for log ${origin}`,
      { details: { reason: 'key_mismatch', ...recorded.details } },
    );
  }
  return signer;
}

/**
 * Reads a secret key file, refusing one readable by group or others (`WRIT_AUDIT_UNAVAILABLE`, reason
 * `key_file_permissions`).
 *
 * @example
 * ```ts
 * const signerKey = (await readKeyFile(join(keyDir, "witness.witness-key"))).trim();
 * ```
 * @internal
 */
export async function readKeyFile(file: string): Promise<string> {
  const info = await stat(file);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      `audit signing key ${file} is readable by group or others; run chmod 600 on it`,
      {
        details: { reason: 'key_file_permissions' },
      },
    );
  }
  return readFile(file, 'utf8');
}

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import type { NoteSigner } from '../checkpoint/signer-key.js';

/**
 * `<dir>/log.json`: a file log's identity, written once when the log is created.
 * @internal
 */
export interface LogMeta {
  readonly v: 1;
  /** The log's origin (`writ/audit/<uuid>`): the first line of its checkpoints. */
  readonly origin: string;
  /** The verifier key of the log's checkpoint signer. */
  readonly verifierKey: string;
  readonly created: string;
}

/**
 * Reads `log.json`, or creates it for a new log (a fresh origin, signed by `signerFor(origin)`). A
 * `log.json` that is not a Writ log description throws `WRIT_AUDIT_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const meta = await loadOrCreateLogMeta(dir, (origin) => loadOrCreateNoteSigner(keyDir, origin));
 * ```
 * @internal
 */
export async function loadOrCreateLogMeta(
  dir: string,
  signerFor: (origin: string) => Promise<NoteSigner>,
): Promise<LogMeta> {
  const file = join(dir, 'log.json');
  try {
    const meta = JSON.parse(await readFile(file, 'utf8')) as LogMeta;
    if (meta.v !== 1 || typeof meta.origin !== 'string' || typeof meta.verifierKey !== 'string') {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${file} is not a Writ log description`);
    }
    return meta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const origin = `writ/audit/${randomUUID()}`;
  const signer = await signerFor(origin);
  const meta: LogMeta = { v: 1, origin, verifierKey: signer.verifierKey, created: new Date().toISOString() };
  await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return meta;
}

/**
 * What a verifier reads of `log.json`: the origin and the verifier key the log says it is signed with.
 * A directory without `log.json` throws `WRIT_AUDIT_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const { origin, verifierKey } = await readLogMeta('.writ/audit');
 * ```
 * @internal
 */
export async function readLogMeta(dir: string): Promise<{ origin: string; verifierKey: string }> {
  return JSON.parse(
    await readFile(join(dir, 'log.json'), 'utf8').catch((cause: unknown) => {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} holds no Writ log (log.json missing)`, { cause });
    }),
  ) as { origin: string; verifierKey: string };
}

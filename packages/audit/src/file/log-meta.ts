import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import type { CheckpointSigner } from '../checkpoint/signer-key.js';
import { readBoundedFile, SMALL_FILE_BYTES } from './bounded-read.js';

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
  signerFor: (origin: string) => Promise<CheckpointSigner>,
): Promise<LogMeta> {
  const file = join(dir, 'log.json');
  const text = await readMetaFile(file);
  if (text !== undefined) return parseMeta(text, file);
  const origin = `writ/audit/${randomUUID()}`;
  const signer = await signerFor(origin);
  const meta: LogMeta = { v: 1, origin, verifierKey: signer.verifierKey, created: new Date().toISOString() };
  await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return meta;
}

/**
 * What a verifier reads of `log.json`: the origin and the verifier key the log says it is signed with.
 * A directory without `log.json`, or with one that is not a Writ log description (or not a regular
 * file), throws `WRIT_AUDIT_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const { origin, verifierKey } = await readLogMeta('.writ/audit');
 * ```
 * @internal
 */
export async function readLogMeta(dir: string): Promise<{ origin: string; verifierKey: string }> {
  const file = join(dir, 'log.json');
  const text = await readMetaFile(file).catch((cause: unknown) => {
    if (WritError.isInstance(cause)) throw cause;
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} holds no Writ log (log.json cannot be read)`, {
      cause,
    });
  });
  if (text === undefined)
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} holds no Writ log (log.json missing)`);
  const { origin, verifierKey } = parseMeta(text, file);
  return { origin, verifierKey };
}

/** `log.json` from a regular file (never through a link), with a bound; `undefined` when missing. */
function readMetaFile(file: string): Promise<string | undefined> {
  return readBoundedFile(file, { maxBytes: SMALL_FILE_BYTES, regularOnly: true });
}

function parseMeta(text: string, file: string): LogMeta {
  let meta: Partial<LogMeta> | null;
  try {
    meta = JSON.parse(text) as Partial<LogMeta> | null;
  } catch {
    meta = null;
  }
  if (meta?.v !== 1 || typeof meta.origin !== 'string' || typeof meta.verifierKey !== 'string') {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${file} is not a Writ log description`);
  }
  return meta as LogMeta;
}

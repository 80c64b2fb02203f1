import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { replaceFile } from '../file/atomic-file.js';
import { readBoundedFile, SMALL_FILE_BYTES } from '../file/bounded-read.js';

/**
 * What a witness remembers per log: the size and root of the latest checkpoint it cosigned, in
 * `<stateDir>/log-<SHA-256(origin) hex>.json`, replaced atomically and synced before the witness answers.
 */

/**
 * The latest checkpoint a witness cosigned for one log.
 *
 * @example
 * ```ts
 * const state: WitnessedState = { origin: 'writ.local/audit/orders', size: 120, root: 'rra8…=' };
 * ```
 */
export interface WitnessedState {
  readonly origin: string;
  readonly size: number;
  /** Base64 root hash. */
  readonly root: string;
}

/** The state file of log `origin` in `dir`. @internal */
export function stateFileName(origin: string): string {
  return `log-${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`;
}

/**
 * The state the witness holds for `origin`, or `undefined` when it never cosigned that log. A state
 * file that is not what the witness wrote throws `WRIT_AUDIT_UNAVAILABLE` (reason `witness_state`):
 * the witness must not guess what it cosigned.
 *
 * @example
 * ```ts
 * const held = await readWitnessedState(stateDir, origin);
 * const oldSize = held?.size ?? 0;
 * ```
 * @internal
 */
export async function readWitnessedState(dir: string, origin: string): Promise<WitnessedState | undefined> {
  const file = join(dir, stateFileName(origin));
  const text = await readBoundedFile(file, { maxBytes: SMALL_FILE_BYTES, regularOnly: true });
  if (text === undefined) return undefined;
  let state: Partial<WitnessedState> | undefined;
  try {
    state = JSON.parse(text) as Partial<WitnessedState>;
  } catch {
    state = undefined;
  }
  if (
    state?.origin !== origin ||
    !Number.isSafeInteger(state.size) ||
    (state.size as number) < 0 ||
    typeof state.root !== 'string' ||
    Buffer.from(state.root, 'base64').length !== 32
  ) {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `the witness state file ${file} is malformed`, {
      details: { reason: 'witness_state', file },
    });
  }
  return { origin, size: state.size as number, root: state.root };
}

/**
 * Records `state` durably (exclusive temporary file, sync, rename, directory sync).
 *
 * @example
 * ```ts
 * await writeWitnessedState(stateDir, { origin, size: cp.size, root: cp.rootHash.toString('base64') });
 * ```
 * @internal
 */
export function writeWitnessedState(dir: string, state: WitnessedState): Promise<void> {
  const { origin, size, root } = state;
  return replaceFile(dir, stateFileName(origin), `${JSON.stringify({ origin, size, root })}\n`, {
    durable: true,
  });
}

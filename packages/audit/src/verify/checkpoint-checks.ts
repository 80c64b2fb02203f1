import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import type { NoteVerifier } from '../checkpoint/verifier-key.js';

/**
 * The checkpoint checks of verification: the checkpoints a log must contain (its published one, and one
 * a verifier holds from elsewhere), and the checkpoint records inside the log.
 */

/**
 * A checkpoint the log must contain: the tree of its first `size` records has root `root` (base64).
 * @internal
 */
export interface CheckpointTarget {
  /** How the verdict names it: `published checkpoint` or `given checkpoint`. */
  readonly label: string;
  readonly size: number;
  readonly root: string;
  /**
   * Whether it was obtained outside the log (an anchor: a checkpoint the verifier kept; later, witness
   * cosignatures and fleet logs), so that finding its tree anchors the log.
   */
  readonly anchor: boolean;
}

/**
 * Opens the checkpoint notes the log must contain, in order, skipping absent ones; `anchor` marks the
 * ones obtained outside the log. A note that does not verify with `verifier`, or is for another origin,
 * makes a reason to refuse the log (at record 0).
 *
 * @example
 * ```ts
 * const opened = openTargets([['published checkpoint', note, false]], verifier, origin);
 * if ('reason' in opened) return fail(0, opened.reason);
 * ```
 * @internal
 */
export function openTargets(
  notes: readonly (readonly [label: string, note: string | undefined, anchor: boolean])[],
  verifier: NoteVerifier,
  origin: string,
): { readonly targets: CheckpointTarget[] } | { readonly reason: string } {
  const targets: CheckpointTarget[] = [];
  for (const [label, note, anchor] of notes) {
    if (note === undefined) continue;
    try {
      const cp = openCheckpoint(note, [verifier]);
      if (cp.origin !== origin) return { reason: `the ${label} is for another log (${cp.origin})` };
      targets.push({ label, size: cp.size, root: cp.rootHash.toString('base64'), anchor });
    } catch (error) {
      return { reason: `the ${label} does not verify: ${(error as Error).message}` };
    }
  }
  return { targets };
}

/**
 * Why the checkpoint record `bytes` at index `at` is bad, or `undefined` when its note is signed by
 * `verifier`, names `origin`, claims `at` records and carries `treeRoot()` (base64), the root of the
 * records before it.
 *
 * @example
 * ```ts
 * const problem = checkpointRecordProblem(line.bytes, index, verifier, origin, () => root);
 * if (problem !== undefined) return fail(index, problem);
 * ```
 * @internal
 */
export function checkpointRecordProblem(
  bytes: Buffer,
  at: number,
  verifier: NoteVerifier,
  origin: string,
  treeRoot: () => string,
): string | undefined {
  let record: { note?: unknown };
  try {
    record = (JSON.parse(bytes.toString('utf8')) as { r: typeof record }).r;
  } catch {
    return 'checkpoint record is not valid JSON';
  }
  if (typeof record.note !== 'string') return 'checkpoint record has no note';
  let cp: ReturnType<typeof openCheckpoint>;
  try {
    cp = openCheckpoint(record.note, [verifier]);
  } catch (error) {
    return `checkpoint signature does not verify: ${(error as Error).message}`;
  }
  if (cp.origin !== origin) return 'checkpoint is for another log';
  if (cp.size !== at) return `checkpoint claims ${cp.size} records but stands at ${at}`;
  if (cp.rootHash.toString('base64') !== treeRoot()) {
    return `checkpoint root differs from the records before it: a record before ${at} was altered`;
  }
  return undefined;
}

import { WritError } from '@writ/core';
import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import type { NoteVerifier } from '../checkpoint/verifier-key.js';
import { peekEnvelope } from '../envelope-prefix.js';
import type { LogResume } from '../log-appender.js';
import { createFrontier, type FrontierState, type MerkleFrontier } from '../merkle/frontier.js';
import { leafHash } from '../merkle/hashing.js';
import type { PostgresPool } from './postgres-connection.js';
import type { PostgresTables } from './postgres-schema.js';

/** What a scan of the stored log found. */
export interface ScanResult {
  readonly resume: LogResume;
  /**
   * The newest checkpoint record in the log, if any: the size and root of the tree that includes the
   * record itself, the extension lines of its note (what the appender publishes after writing it), and
   * the tree state just before the record (stored with the published checkpoint).
   */
  readonly lastCheckpoint:
    | {
        readonly size: number;
        readonly root: Buffer;
        readonly extensions: readonly string[];
        readonly frontier: FrontierState;
      }
    | undefined;
  /** Size of the checkpoint already published with its tree state (nothing to republish up to there). */
  readonly published: number;
  /** The first index read and checked: the last published checkpoint record, or 0 for a full scan. */
  readonly from: number;
}

/** The log being scanned: its identity and the key its checkpoints verify with. */
export interface ScannedLog {
  readonly logId: string;
  readonly origin: string;
  readonly verifier: NoteVerifier;
}

interface Cursor {
  readonly frontier: MerkleFrontier;
  size: number;
  last: string;
  checkpointedSize: number;
  lastCheckpoint: ScanResult['lastCheckpoint'];
}

/**
 * Reads a log back to continue it. When the published checkpoint carries the tree state (stored at
 * every checkpoint), only the records from that checkpoint record on are read: the state is accepted
 * once the checkpoint record at its size is signed by the log's key over the state's root, so a reopen
 * costs O(records since the last checkpoint). Otherwise (no checkpoint yet, tables of version 1, or a
 * state that does not match), the whole log is read. Every record read must continue the chain, match
 * its stored leaf hash, and every checkpoint record read must be signed by the log's key over the tree
 * before it; a damaged log is refused (and so never signed over). `from: 'full'` always reads the whole log.
 *
 * @internal
 */
export async function scanLog(
  pool: PostgresPool,
  tables: PostgresTables,
  log: ScannedLog,
  pageSize: number,
  from: 'tail' | 'full' = 'tail',
): Promise<ScanResult> {
  const { rows } = await pool.query<{ size: string; frontier: string | null }>(
    `SELECT size, frontier FROM ${tables.checkpoints} WHERE log_id = $1`,
    [log.logId],
  );
  const stored = rows[0];
  const tail =
    stored?.frontier == null || from === 'full' ? undefined : await fromCheckpoint(pool, tables, log, stored);
  const cursor = tail ?? {
    frontier: createFrontier(),
    size: 0,
    last: '',
    checkpointedSize: 0,
    lastCheckpoint: undefined,
  };
  const first = cursor.size === 0 ? 0 : cursor.size - 1;
  await readOn(pool, tables, log, pageSize, cursor);
  if (stored !== undefined && cursor.size < Number(stored.size)) {
    throw damaged(
      log.logId,
      cursor.size,
      `records were removed: the published checkpoint covers ${stored.size}`,
    );
  }
  return {
    resume: {
      size: cursor.size,
      lastLeafHash: cursor.last,
      frontier: cursor.frontier.state(),
      checkpointedSize: cursor.checkpointedSize,
    },
    lastCheckpoint: cursor.lastCheckpoint,
    published: tail === undefined ? 0 : tail.size,
    from: first,
  };
}

/**
 * The cursor just after the published checkpoint record, from its stored tree state; `undefined` when
 * the state cannot be used (the caller reads the whole log, which names any damage precisely).
 */
async function fromCheckpoint(
  pool: PostgresPool,
  tables: PostgresTables,
  log: ScannedLog,
  stored: { size: string; frontier: string | null },
): Promise<Cursor | undefined> {
  const size = Number(stored.size);
  let frontier: MerkleFrontier;
  try {
    frontier = createFrontier(JSON.parse(stored.frontier ?? '') as FrontierState);
  } catch {
    return undefined;
  }
  if (size < 1 || frontier.size !== size - 1) return undefined;
  const { rows } = await pool.query<{ line: string; leaf_hash: Buffer }>(
    `SELECT line, leaf_hash FROM ${tables.records} WHERE log_id = $1 AND idx = $2`,
    [log.logId, size - 1],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const hash = leafHash(Buffer.from(row.line, 'utf8'));
  if (!hash.equals(row.leaf_hash) || peekEnvelope(row.line)?.i !== size - 1) return undefined;
  const extensions = checkpointAt(row.line, size - 1, frontier.root(), log);
  if (extensions === undefined || typeof extensions === 'string') return undefined;
  const state = frontier.state();
  frontier.append(hash);
  return {
    frontier,
    size,
    last: hash.toString('hex'),
    checkpointedSize: size,
    lastCheckpoint: { size, root: frontier.root(), extensions, frontier: state },
  };
}

/** Reads and checks the records from `cursor.size` to the end, in keyset pages. */
async function readOn(
  pool: PostgresPool,
  tables: PostgresTables,
  log: ScannedLog,
  pageSize: number,
  cursor: Cursor,
): Promise<void> {
  const { frontier } = cursor;
  for (;;) {
    const { rows } = await pool.query<{ idx: string; line: string; leaf_hash: Buffer }>(
      `SELECT idx, line, leaf_hash FROM ${tables.records}
        WHERE log_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
      [log.logId, cursor.size, pageSize],
    );
    for (const row of rows) {
      const at = cursor.size;
      const peek = peekEnvelope(row.line);
      if (Number(row.idx) !== at || peek === undefined || peek.i !== at || peek.p !== cursor.last) {
        throw damaged(log.logId, at, 'the record does not continue the chain');
      }
      const hash = leafHash(Buffer.from(row.line, 'utf8'));
      if (!hash.equals(row.leaf_hash))
        throw damaged(log.logId, at, 'the stored leaf hash does not match the record');
      const extensions = row.line.includes('"kind":"checkpoint"')
        ? checkpointAt(row.line, at, frontier.root(), log)
        : undefined;
      if (typeof extensions === 'string') throw damaged(log.logId, at, extensions);
      const before = extensions === undefined ? undefined : frontier.state();
      frontier.append(hash);
      cursor.last = hash.toString('hex');
      cursor.size = at + 1;
      if (extensions !== undefined && before !== undefined) {
        cursor.checkpointedSize = cursor.size;
        cursor.lastCheckpoint = { size: cursor.size, root: frontier.root(), extensions, frontier: before };
      }
    }
    if (rows.length < pageSize) return;
  }
}

/**
 * For a line that mentions a checkpoint: the extension lines of its note when it is a checkpoint record
 * that verifies at `index` over `root`, `undefined` when it is another record, or why it is bad.
 */
function checkpointAt(
  line: string,
  index: number,
  root: Buffer,
  log: { readonly origin: string; readonly verifier: NoteVerifier },
): readonly string[] | string | undefined {
  let record: { kind?: unknown; note?: unknown };
  try {
    record = (JSON.parse(line) as { r: typeof record }).r;
  } catch {
    return 'the record is not valid JSON';
  }
  if (record.kind !== 'checkpoint') return undefined;
  if (typeof record.note !== 'string') return 'the checkpoint record has no note';
  try {
    const cp = openCheckpoint(record.note, [log.verifier]);
    if (cp.origin !== log.origin || cp.size !== index || !cp.rootHash.equals(root)) {
      return 'the checkpoint does not match the records before it';
    }
    return cp.extensions;
  } catch {
    return 'the checkpoint signature does not verify';
  }
}

/** @internal `WRIT_AUDIT_UNAVAILABLE`, reason `log_damaged`, naming the first bad record. */
export function damaged(logId: string, index: number, why: string): WritError {
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log ${logId} is damaged at record ${index} (${why}): run verifyPostgresLog; refusing to append`,
    { details: { reason: 'log_damaged', logId, index } },
  );
}

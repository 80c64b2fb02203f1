import { WritError } from '@writ/core';
import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import type { NoteVerifier } from '../checkpoint/verifier-key.js';
import { peekEnvelope } from '../envelope-prefix.js';
import type { LogResume, LogStorage, LogWriteOptions } from '../log-appender.js';
import { createFrontier } from '../merkle/frontier.js';
import { leafHash } from '../merkle/hashing.js';
import { type PostgresClient, type PostgresPool, unavailable } from './postgres-connection.js';
import { lockKey, type PostgresTables } from './postgres-schema.js';

/** Identifies one database session, to tell whether a backend still running is the one we left. */
export interface SessionId {
  readonly pid: number;
  /** `backend_start` as epoch seconds with microseconds. */
  readonly start: string;
}

/** A log's row in `logs`. */
export interface LogRow {
  readonly origin: string;
  readonly verifierKey: string;
}

/** What a scan of the stored log found. */
export interface ScanResult {
  readonly resume: LogResume;
  /**
   * The newest checkpoint record in the log, if any: the size and root of the tree that includes the
   * record itself, and the extension lines of its note (what the appender publishes after writing it).
   */
  readonly lastCheckpoint:
    | { readonly size: number; readonly root: Buffer; readonly extensions: readonly string[] }
    | undefined;
}

/** How long a writer waits for its own previous session to let go of the log after a failure, ms. */
const TAKEOVER_MS = 3_000;

/**
 * The one database session that writes a log: it holds the log's session-level advisory lock for its
 * whole life, so the lock and the writes live and die together. When the connection drops, the lock
 * goes with it and a new session must take it again (and rescan) before writing.
 *
 * @internal
 */
export class PostgresWriter implements LogStorage {
  /** Set once the connection failed, a write failed or the writer was retired. */
  broken: Error | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private next = 0;
  private released = false;
  private readonly key: string;

  private constructor(
    private readonly client: PostgresClient,
    private readonly tables: PostgresTables,
    readonly logId: string,
    readonly session: SessionId,
  ) {
    this.key = lockKey(tables.schema, 'log', logId);
  }

  /**
   * Connects and takes the log's writer lock. `previous` names this sink's own earlier session: when it
   * still holds the lock (a connection the server has not noticed is gone), it is terminated.
   */
  static async open(
    pool: PostgresPool,
    tables: PostgresTables,
    logId: string,
    previous?: SessionId,
  ): Promise<PostgresWriter> {
    // a pooled connection may have died while idle without the pool noticing yet: one more try
    for (let attempt = 1; ; attempt++) {
      try {
        return await PostgresWriter.connect(pool, tables, logId, previous);
      } catch (error) {
        if (attempt >= 2 || WritError.isInstance(error))
          throw unavailable(`could not open the audit log ${logId}`, error);
      }
    }
  }

  private static async connect(
    pool: PostgresPool,
    tables: PostgresTables,
    logId: string,
    previous: SessionId | undefined,
  ): Promise<PostgresWriter> {
    let client: PostgresClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unavailable('could not connect to PostgreSQL', error);
    }
    let early: Error | undefined;
    client.on('error', (error) => {
      early ??= error;
    });
    try {
      const { rows } = await client.query<{ pid: number; start: string }>(
        `SELECT pid, extract(epoch FROM backend_start)::text AS start FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('pg_stat_activity does not list this session');
      if (early !== undefined) throw early;
      const writer = new PostgresWriter(client, tables, logId, { pid: Number(row.pid), start: row.start });
      client.on('error', (error) => {
        writer.broken ??= error;
      });
      await writer.lock(previous);
      return writer;
    } catch (error) {
      client.release(true);
      throw error;
    }
  }

  private async lock(previous: SessionId | undefined): Promise<void> {
    const deadline = Date.now() + TAKEOVER_MS;
    let terminated = false;
    for (;;) {
      const { rows } = await this.client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS ok',
        [this.key],
      );
      if (rows[0]?.ok === true) return;
      if (previous === undefined || Date.now() > deadline) {
        throw new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `the audit log ${this.logId} in schema ${this.tables.schema} is being written by another writer`,
          { details: { reason: 'locked', logId: this.logId } },
        );
      }
      if (!terminated) {
        terminated = true;
        // only our own earlier session: same pid and the same start time
        await this.client
          .query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE pid = $1 AND extract(epoch FROM backend_start)::text = $2`,
            [previous.pid, previous.start],
          )
          .catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs statements with the client to itself (a transaction is never interleaved with another statement). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.broken !== undefined) throw unavailable('the audit log connection failed', this.broken);
      return fn();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once no statement is running. */
  async settled(): Promise<void> {
    await this.tail;
  }

  /** The log's row, or undefined when the log does not exist yet. */
  readLog(): Promise<LogRow | undefined> {
    return this.exclusive(async () => {
      const { rows } = await this.client.query<{ origin: string; verifier_key: string }>(
        `SELECT origin, verifier_key FROM ${this.tables.logs} WHERE log_id = $1`,
        [this.logId],
      );
      const row = rows[0];
      return row === undefined ? undefined : { origin: row.origin, verifierKey: row.verifier_key };
    });
  }

  /** Registers a new log. */
  createLog(log: LogRow): Promise<void> {
    return this.exclusive(async () => {
      await this.client.query(
        `INSERT INTO ${this.tables.logs} (log_id, origin, verifier_key) VALUES ($1, $2, $3)`,
        [this.logId, log.origin, log.verifierKey],
      );
    });
  }

  /**
   * Reads the whole log in index order (keyset pages) to rebuild the tree, checking that every row
   * continues the chain and matches its stored leaf hash, and that every checkpoint record is signed by
   * the log's key over the tree before it; refuses a damaged log (and so never signs over one).
   */
  scan(
    pageSize: number,
    log: { readonly origin: string; readonly verifier: NoteVerifier },
  ): Promise<ScanResult> {
    return this.exclusive(async () => {
      const frontier = createFrontier();
      let size = 0;
      let last = '';
      let checkpointedSize = 0;
      let lastCheckpoint: ScanResult['lastCheckpoint'];
      for (;;) {
        const { rows } = await this.client.query<{ idx: string; line: string; leaf_hash: Buffer }>(
          `SELECT idx, line, leaf_hash FROM ${this.tables.records}
            WHERE log_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
          [this.logId, size, pageSize],
        );
        for (const row of rows) {
          const peek = peekEnvelope(row.line);
          if (Number(row.idx) !== size || peek === undefined || peek.i !== size || peek.p !== last) {
            throw damaged(this.logId, size, 'the record does not continue the chain');
          }
          const hash = leafHash(Buffer.from(row.line, 'utf8'));
          if (!hash.equals(row.leaf_hash))
            throw damaged(this.logId, size, 'the stored leaf hash does not match the record');
          const extensions = row.line.includes('"kind":"checkpoint"')
            ? checkpointAt(row.line, size, frontier.root(), log)
            : undefined;
          if (typeof extensions === 'string') throw damaged(this.logId, size, extensions);
          frontier.append(hash);
          last = hash.toString('hex');
          size++;
          if (extensions !== undefined) {
            checkpointedSize = size;
            lastCheckpoint = { size, root: frontier.root(), extensions };
          }
        }
        if (rows.length < pageSize) break;
      }
      this.next = size;
      return {
        resume: { size, lastLeafHash: last, frontier: frontier.state(), checkpointedSize },
        lastCheckpoint,
      };
    });
  }

  /**
   * Inserts the batch with one statement in one transaction; resolves after COMMIT. Every batch is
   * committed, `sync` or not.
   */
  write(lines: readonly string[], options: LogWriteOptions): Promise<void> {
    return this.exclusive(async () => {
      const first = this.next;
      const indexes: number[] = [];
      const hashes: string[] = [];
      lines.forEach((line, k) => {
        const peek = peekEnvelope(line);
        if (peek?.i !== first + k) {
          throw new WritError(
            'WRIT_INTERNAL',
            `record ${first + k} arrived out of order (${peek?.i ?? 'no index'})`,
          );
        }
        indexes.push(first + k);
        hashes.push(options.encoded?.[k]?.leafHash ?? leafHash(Buffer.from(line, 'utf8')).toString('hex'));
      });
      try {
        await this.client.query('BEGIN');
        await this.client.query(
          `INSERT INTO ${this.tables.records} (log_id, idx, line, leaf_hash)
           SELECT $1, t.idx, t.line, decode(t.hash, 'hex')
             FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t(idx, line, hash)`,
          [this.logId, indexes, lines, hashes],
        );
        await this.client.query('COMMIT');
      } catch (error) {
        // whether the COMMIT took effect is unknown: only a rescan by a new session can tell
        this.broken ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      }
      this.next = first + lines.length;
    });
  }

  /** Nothing to do: every write is committed before it resolves. */
  async sync(): Promise<void> {}

  /** Records the newest checkpoint of the log (never replacing a larger one). */
  publishCheckpoint(size: number, note: string): Promise<void> {
    return this.exclusive(async () => {
      await this.client.query(
        `INSERT INTO ${this.tables.checkpoints} AS c (log_id, size, note) VALUES ($1, $2, $3)
         ON CONFLICT (log_id) DO UPDATE SET size = EXCLUDED.size, note = EXCLUDED.note, updated_at = now()
         WHERE c.size < EXCLUDED.size`,
        [this.logId, size, note],
      );
    });
  }

  /** Refuses every later statement (the log continues on a new session). */
  retire(): void {
    this.broken ??= new Error('the session was replaced after a failure');
  }

  /** Closes the connection without ceremony (after a failure). */
  destroy(): void {
    if (this.released) return;
    this.released = true;
    this.broken ??= new Error('the session was closed');
    this.client.release(true);
  }

  /** Lets go of the lock and returns the connection to its pool. */
  async close(): Promise<void> {
    if (this.released) return;
    await this.settled();
    if (this.broken !== undefined) return this.destroy();
    try {
      await this.client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    } catch {
      return this.destroy();
    }
    this.released = true;
    this.broken = new Error('the session was closed');
    this.client.release();
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

function damaged(logId: string, index: number, why: string): WritError {
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log ${logId} is damaged at record ${index} (${why}): run verifyPostgresLog; refusing to append`,
    { details: { reason: 'log_damaged', logId, index } },
  );
}

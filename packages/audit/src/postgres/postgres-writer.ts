import { WritError } from '@writ/core';
import { peekEnvelope } from '../envelope-prefix.js';
import type { LogStorage, LogWriteOptions } from '../log-appender.js';
import type { FrontierState } from '../merkle/frontier.js';
import { leafHash } from '../merkle/hashing.js';
import { type PostgresPool, unavailable } from './postgres-connection.js';
import {
  acquireLease,
  fenced,
  fencedError,
  type Lease,
  lockedError,
  recordLeaseSize,
  releaseLease,
  renewLease,
} from './postgres-lease.js';
import { damaged, type ScannedLog, type ScanResult, scanLog } from './postgres-scan.js';
import type { PostgresTables } from './postgres-schema.js';

/**
 * The writer of one log under its lease. Every statement goes through the pool (no session state):
 * each append is one statement that advances the lease's committed size and inserts the rows only
 * when the lease's epoch is still this writer's, so a writer that lost its lease appends nothing.
 * The lease is renewed every third of its duration while the writer is open.
 *
 * @internal
 */
export class PostgresWriter implements LogStorage {
  /** Set once a write failed, the lease was lost, or the writer was retired or closed. */
  broken: Error | undefined;
  private next = 0;
  private released = false;
  private inFlight = new Set<Promise<unknown>>();
  private readonly renewal: NodeJS.Timeout;

  private constructor(
    private readonly pool: PostgresPool,
    private readonly tables: PostgresTables,
    readonly lease: Lease,
    private readonly leaseMs: number,
  ) {
    this.renewal = setInterval(() => this.renew(), Math.max(1, Math.floor(leaseMs / 3)));
    this.renewal.unref?.();
  }

  get logId(): string {
    return this.lease.logId;
  }

  /**
   * Takes the lease of `logId` for `holder` (free, expired, or already the holder's). Another writer's
   * live lease is refused: `WRIT_AUDIT_UNAVAILABLE`, reason `locked`. The log's row must exist.
   */
  static async open(
    pool: PostgresPool,
    tables: PostgresTables,
    logId: string,
    holder: string,
    leaseMs: number,
  ): Promise<PostgresWriter> {
    const lease = await PostgresWriter.tryOpen(pool, tables, logId, holder, leaseMs);
    if (lease === undefined) throw await lockedError(pool, tables, logId);
    return lease;
  }

  /** Like {@link PostgresWriter.open}, but `undefined` when another writer's lease is live. */
  static async tryOpen(
    pool: PostgresPool,
    tables: PostgresTables,
    logId: string,
    holder: string,
    leaseMs: number,
  ): Promise<PostgresWriter | undefined> {
    // a pooled connection may have died while idle without the pool noticing yet: one more try
    for (let attempt = 1; ; attempt++) {
      try {
        const lease = await acquireLease(pool, tables, logId, holder, leaseMs);
        return lease === undefined ? undefined : new PostgresWriter(pool, tables, lease, leaseMs);
      } catch (error) {
        if (attempt >= 2 || WritError.isInstance(error))
          throw unavailable(`could not open the audit log ${logId}`, error);
      }
    }
  }

  private renew(): void {
    if (this.broken !== undefined) return;
    const renewing = renewLease(this.pool, this.tables, this.lease, this.leaseMs).then(
      (held) => {
        if (!held) this.broken ??= fencedError(this.lease);
      },
      () => undefined, // a failed renewal is not a lost lease: the next append tells
    );
    this.track(renewing);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const done = () => this.inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  private check(): void {
    if (this.broken === undefined) return;
    throw WritError.isInstance(this.broken, 'WRIT_AUDIT_UNAVAILABLE')
      ? this.broken
      : unavailable('the audit log connection failed', this.broken);
  }

  /** Resolves once no statement is running. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Reads the log back from its last published checkpoint (or whole, {@link scanLog}) and checks that
   * it holds exactly the committed size recorded in the lease (recording it when the lease has none).
   */
  async scan(pageSize: number, log: ScannedLog, from: 'tail' | 'full' = 'tail'): Promise<ScanResult> {
    this.check();
    const result = await this.track(scanLog(this.pool, this.tables, log, pageSize, from));
    const { size } = result.resume;
    if (this.lease.size === undefined) await recordLeaseSize(this.pool, this.tables, this.lease, size);
    else if (this.lease.size !== size) {
      throw damaged(
        this.logId,
        Math.min(size, this.lease.size),
        `the lease records ${this.lease.size} committed records, the table holds ${size}`,
      );
    }
    this.next = size;
    return result;
  }

  /**
   * Inserts the batch in one statement, conditional on this writer's epoch and the committed size;
   * resolves once committed. Nothing inserted means the lease was taken over: `WRIT_AUDIT_UNAVAILABLE`,
   * reason `fenced`.
   */
  async write(lines: readonly string[], options: LogWriteOptions): Promise<void> {
    this.check();
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
    const t = this.tables;
    let inserted: number;
    try {
      const { rows } = await this.track(
        this.pool.query<{ n: number }>(
          `WITH lease AS (
             UPDATE ${t.leases} SET size = $4, expires_at = now() + $5 * interval '1 millisecond'
              WHERE log_id = $1 AND epoch = $2 AND size = $3
              RETURNING log_id
           ), ins AS (
             INSERT INTO ${t.records} (log_id, idx, line, leaf_hash)
             SELECT lease.log_id, r.idx, r.line, decode(r.hash, 'hex')
               FROM lease, unnest($6::bigint[], $7::text[], $8::text[]) AS r(idx, line, hash)
             RETURNING 1
           )
           SELECT count(*)::int AS n FROM ins`,
          [this.logId, this.lease.epoch, first, first + lines.length, this.leaseMs, indexes, lines, hashes],
        ),
      );
      inserted = rows[0]?.n ?? 0;
    } catch (error) {
      // whether the statement took effect is unknown: only a new lease and a rescan can tell
      this.broken ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    }
    if (inserted !== lines.length) {
      const refusal = await fenced(this.pool, this.tables, this.lease);
      this.broken ??= refusal;
      throw refusal;
    }
    this.next = first + lines.length;
  }

  /** Nothing to do: every write is committed before it resolves. */
  async sync(): Promise<void> {}

  /**
   * Records the newest published checkpoint of the log with the tree state just before its checkpoint
   * record (never replacing a larger one), while this writer holds the lease.
   */
  async publishCheckpoint(size: number, note: string, frontier: FrontierState): Promise<void> {
    this.check();
    await this.track(
      this.pool.query(
        `INSERT INTO ${this.tables.checkpoints} AS c (log_id, size, note, frontier)
         SELECT $1, $2, $3, $4 FROM ${this.tables.leases} WHERE log_id = $1 AND epoch = $5
         ON CONFLICT (log_id) DO UPDATE
            SET size = EXCLUDED.size, note = EXCLUDED.note, frontier = EXCLUDED.frontier, updated_at = now()
          WHERE c.size < EXCLUDED.size OR (c.size = EXCLUDED.size AND c.frontier IS NULL)`,
        [this.logId, size, note, JSON.stringify(frontier), this.lease.epoch],
      ),
    );
  }

  /** Refuses every later statement (the log continues under a new lease). */
  retire(): void {
    this.broken ??= new Error('the writer was replaced after a failure');
    clearInterval(this.renewal);
  }

  /** Stops without letting go of the lease (after a failure: it expires, or this sink takes it again). */
  destroy(): void {
    this.released = true;
    this.broken ??= new Error('the writer was closed');
    clearInterval(this.renewal);
  }

  /** Lets go of the lease. */
  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.renewal);
    await this.settled();
    const failed = this.broken !== undefined;
    this.broken ??= new Error('the writer was closed');
    if (failed) return;
    await releaseLease(this.pool, this.tables, this.lease).catch(() => undefined);
  }
}

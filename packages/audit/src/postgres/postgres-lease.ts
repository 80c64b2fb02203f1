import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { WritError } from '@writ/core';
import { type PostgresPool, unavailable } from './postgres-connection.js';
import type { PostgresTables } from './postgres-schema.js';

/**
 * Writer leases of PostgreSQL logs: a row per log (`<schema>.leases`: holder, epoch, expiry, committed
 * size). A writer takes the lease when it is free (expired, released) or already its own; every take
 * increments the epoch, and every append and checkpoint is conditional on the epoch in the same
 * statement, so a writer that lost its lease (paused past its expiry, partitioned) can never append
 * again: it is fenced. No session state (no advisory locks, no LISTEN, no prepared statements), so it
 * works through a transaction-mode pooler. Expiry uses the database clock only.
 */

/** A lease held by this process. */
export interface Lease {
  readonly logId: string;
  readonly holder: string;
  /** The fencing epoch (a bigint, as text). */
  readonly epoch: string;
  /** The log's committed size recorded in the lease, or undefined when not recorded yet (a new or version 1 log). */
  readonly size: number | undefined;
}

/**
 * A holder id for one sink: host, pid and a random part (the random part alone decides; the rest is
 * there for whoever reads the table).
 *
 * @internal
 */
export function newHolder(): string {
  return `${hostname()}/${process.pid}/${randomUUID()}`;
}

/**
 * Takes the lease of `logId` for `holder` when it is free or already the holder's, incrementing the
 * epoch; `undefined` when another holder's lease is live. The log's row must exist.
 *
 * @internal
 */
export async function acquireLease(
  pool: PostgresPool,
  tables: PostgresTables,
  logId: string,
  holder: string,
  leaseMs: number,
): Promise<Lease | undefined> {
  const { rows } = await pool.query<{ epoch: string; size: string | null }>(
    `INSERT INTO ${tables.leases} AS l (log_id, holder, epoch, expires_at)
     VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
     ON CONFLICT (log_id) DO UPDATE
        SET holder = EXCLUDED.holder, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at, acquired_at = now()
      WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder
     RETURNING epoch::text AS epoch, size::text AS size`,
    [logId, holder, leaseMs],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return { logId, holder, epoch: row.epoch, size: row.size === null ? undefined : Number(row.size) };
}

/**
 * Extends a held lease; `false` when it was taken over (the epoch moved on).
 *
 * @internal
 */
export async function renewLease(
  pool: PostgresPool,
  tables: PostgresTables,
  lease: Lease,
  leaseMs: number,
): Promise<boolean> {
  const { rows } = await pool.query(
    `UPDATE ${tables.leases} SET expires_at = now() + $3 * interval '1 millisecond'
      WHERE log_id = $1 AND epoch = $2 RETURNING 1 AS ok`,
    [lease.logId, lease.epoch, leaseMs],
  );
  return rows.length === 1;
}

/**
 * Lets go of a held lease (another writer may take it at once). A lease already taken over is left alone.
 *
 * @internal
 */
export async function releaseLease(pool: PostgresPool, tables: PostgresTables, lease: Lease): Promise<void> {
  await pool.query(`UPDATE ${tables.leases} SET expires_at = '-infinity' WHERE log_id = $1 AND epoch = $2`, [
    lease.logId,
    lease.epoch,
  ]);
}

/**
 * Records the committed size in a lease that has none yet (a new log, or one written before version 2).
 *
 * @internal
 */
export async function recordLeaseSize(
  pool: PostgresPool,
  tables: PostgresTables,
  lease: Lease,
  size: number,
): Promise<void> {
  const { rows } = await pool.query(
    `UPDATE ${tables.leases} SET size = $3 WHERE log_id = $1 AND epoch = $2 AND size IS NULL RETURNING 1 AS ok`,
    [lease.logId, lease.epoch, size],
  );
  if (rows.length !== 1) throw await fenced(pool, tables, lease);
}

/**
 * The refusal of a writer whose lease was taken over (`WRIT_AUDIT_UNAVAILABLE`, reason `fenced`), or,
 * when the lease is still its own, of a log whose committed size moved under it (`log_damaged`).
 *
 * @internal
 */
export async function fenced(pool: PostgresPool, tables: PostgresTables, lease: Lease): Promise<WritError> {
  let current: { epoch: string; holder: string } | undefined;
  try {
    const { rows } = await pool.query<{ epoch: string; holder: string }>(
      `SELECT epoch::text AS epoch, holder FROM ${tables.leases} WHERE log_id = $1`,
      [lease.logId],
    );
    current = rows[0];
  } catch (error) {
    return unavailable(`the audit log ${lease.logId} refused an append`, error);
  }
  if (current !== undefined && current.epoch === lease.epoch) {
    return new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      `the audit log ${lease.logId} changed under its writer (its committed size is not the writer's): run verifyPostgresLog; refusing to append`,
      { details: { reason: 'log_damaged', logId: lease.logId } },
    );
  }
  return fencedError(lease, current?.epoch);
}

/**
 * `WRIT_AUDIT_UNAVAILABLE`, reason `fenced`: this writer's lease of the log was taken over.
 *
 * @internal
 */
export function fencedError(lease: Lease, epoch?: string): WritError {
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log ${lease.logId} was taken over by another writer (epoch ${epoch ?? 'unknown'}; this writer held epoch ${lease.epoch}): this writer is fenced and appends nothing more`,
    { details: { reason: 'fenced', logId: lease.logId, epoch: lease.epoch } },
  );
}

/**
 * `WRIT_AUDIT_UNAVAILABLE`, reason `locked`: another writer's lease of the log is live.
 *
 * @internal
 */
export async function lockedError(
  pool: PostgresPool,
  tables: PostgresTables,
  logId: string,
): Promise<WritError> {
  const { rows } = await pool
    .query<{ holder: string; expires_at: string }>(
      `SELECT holder, expires_at::text AS expires_at FROM ${tables.leases} WHERE log_id = $1`,
      [logId],
    )
    .catch(() => ({ rows: [] as { holder: string; expires_at: string }[] }));
  const row = rows[0];
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log ${logId} in schema ${tables.schema} is being written by another writer${row === undefined ? '' : ` (${row.holder}, lease until ${row.expires_at})`}`,
    { details: { reason: 'locked', logId } },
  );
}

/**
 * The slots of a pool of logs, `<prefix>-1` … `<prefix>-<count>`, free ones first (no lease, or an
 * expired one), lowest first: a serverless instance takes a free slot's lease and continues that log
 * instead of creating a log of its own.
 *
 * @internal
 */
export async function freeSlots(
  pool: PostgresPool,
  tables: PostgresTables,
  prefix: string,
  count: number,
): Promise<string[]> {
  const all = slotIds(prefix, count);
  const { rows } = await pool.query<{ log_id: string }>(
    `SELECT s.log_id FROM unnest($1::text[]) WITH ORDINALITY AS s(log_id, n)
       LEFT JOIN ${tables.leases} l ON l.log_id = s.log_id
      WHERE l.log_id IS NULL OR l.expires_at < now()
      ORDER BY s.n`,
    [all],
  );
  return rows.map((r) => r.log_id);
}

/** @internal the log ids of a pool of `count` slots. */
export function slotIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

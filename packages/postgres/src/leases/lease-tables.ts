import type { WritError } from '@writ/core';
import { migrateLocked } from '../shared/migrate.js';
import { type PgClientPool, quoteSchema, type ResolvedPool, resolvePool } from '../shared/pg-pool.js';
import { unavailable } from '../shared/report.js';

/** @internal the qualified name of the task lease table in one schema. */
export function leaseTable(schema: string): string {
  return `${quoteSchema(schema)}.task_leases`;
}

/**
 * The DDL of the task lease table (idempotent). One row per run of a task: who holds it, what the records
 * a reaper writes must say of the task (`attribution`), the credentials issued (`credentials`: jti,
 * expiry, and for exchanged ones the token with its revocation endpoint, dropped once the lease closes),
 * and the lease's state — `active` → `released` (its own process ended it) or `reaping` → `abandoned`.
 *
 * @internal
 */
export function leaseDdl(schema: string): string[] {
  const table = leaseTable(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${table} (
       task_id text NOT NULL CHECK (length(task_id) BETWEEN 1 AND 256),
       run_id text NOT NULL CHECK (length(run_id) <= 256),
       service text NOT NULL,
       holder text NOT NULL,
       attribution jsonb NOT NULL,
       credentials jsonb NOT NULL DEFAULT '[]'::jsonb,
       state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'released', 'reaping', 'abandoned')),
       started_at timestamptz NOT NULL DEFAULT now(),
       expires_at timestamptz NOT NULL,
       reaper text,
       reap_until timestamptz,
       closed_at timestamptz,
       PRIMARY KEY (task_id, run_id)
     )`,
    `CREATE INDEX IF NOT EXISTS task_leases_due ON ${table} (expires_at) WHERE state IN ('active', 'reaping')`,
    `CREATE INDEX IF NOT EXISTS task_leases_holder ON ${table} (holder) WHERE state = 'active'`,
  ];
}

/**
 * Opens the pool the options name and, unless `createTables: false`, creates the lease table when missing:
 * what the task leases and the reaper both do on start. A pool it opened is closed again when that fails.
 *
 * @internal
 */
export async function openLeaseTables(
  o: {
    readonly pool?: PgClientPool | undefined;
    readonly connectionString?: string | undefined;
    readonly createTables?: boolean | undefined;
  },
  schema: string,
  report: (error: WritError) => void,
  what: string,
): Promise<ResolvedPool> {
  const resolved = await resolvePool(o, report);
  try {
    if (o.createTables !== false)
      await migrateLocked(resolved.pool, `writ/leases/${schema}`, leaseDdl(schema), [leaseTable(schema)]);
  } catch (error) {
    if (resolved.owned) await resolved.pool.end().catch(() => undefined);
    throw unavailable(`${what} could not start`, error);
  }
  return resolved;
}

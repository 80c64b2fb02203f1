import { quoteSchema } from '../shared/pg-pool.js';

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

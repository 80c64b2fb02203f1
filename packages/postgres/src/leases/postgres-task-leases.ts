import { type Attribution, WritError } from '@writ/core';
import { functionSchema, uuidv7, validateOptions } from '@writ/core/internal';
import type { LeasedCredential, LeasedRun, TaskLeases } from '@writ/identity';
import { z } from 'zod';
import { clientConnectionShape, oneConnection, type PgClientPool } from '../shared/pg-pool.js';
import { reporter, unavailable } from '../shared/report.js';
import { tokenKeySchema, tokenSealer } from '../shared/token-seal.js';
import { leaseAttribution, leaseCredential } from './lease-row.js';
import { leaseTable, openLeaseTables } from './lease-tables.js';

/**
 * Defaults of {@link createPostgresTaskLeases}.
 *
 * @example
 * ```ts
 * const leases = await createPostgresTaskLeases({ pool, service: 'support', ttlMs: POSTGRES_LEASE_DEFAULTS.ttlMs * 2 });
 * ```
 */
export const POSTGRES_LEASE_DEFAULTS = Object.freeze({
  /** @default 'writ' */
  schema: 'writ',
  /** A lease not renewed for this long is expired: a reaper may close its task, ms. @default 30000 */
  ttlMs: 30_000,
});

/**
 * Options of {@link createPostgresTaskLeases}.
 *
 * @example
 * ```ts
 * const options: CreatePostgresTaskLeasesOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   service: 'support',
 *   ttlMs: 15_000,
 * };
 * const leases = await createPostgresTaskLeases(options);
 * ```
 */
export interface CreatePostgresTaskLeasesOptions {
  /** A pool you own (`pg.Pool`). Exactly one of `pool` and `connectionString`. */
  pool?: PgClientPool;
  connectionString?: string;
  /** @default 'writ' */
  schema?: string;
  /** `service` of the records a reaper writes for this process's tasks (use `createWrit`'s). */
  service: string;
  /** @default 30000 */
  ttlMs?: number;
  /** How often this process renews the leases it holds, ms. @default ttlMs / 3 */
  renewEveryMs?: number;
  /** Create the table when missing (needs CREATE on the database; skipped when it exists). @default true */
  createTables?: boolean;
  /** This process, as lease rows name it. @default a new id */
  holder?: string;
  /** Failed renewals, leases found reaped while this process still ran them. */
  onError?: (error: WritError) => void;
  /**
   * A secret (at least 32 bytes) the reaper shares: the tokens of exchanged credentials, which RFC 7009
   * revocation needs, are kept sealed with it (AES-256-GCM). Without it they are not kept, and a reaper
   * revokes such credentials on the shared list only. `postgres(url)` passes `WRIT_STORE_KEY`.
   */
  tokenKey?: string;
}

/**
 * Task leases kept in PostgreSQL (see {@link createPostgresTaskLeases}).
 *
 * @example
 * ```ts
 * const leases: PostgresTaskLeases = await createPostgresTaskLeases({ pool, service: 'support' });
 * leases.active; // runs this process holds
 * await leases.close();
 * ```
 */
export interface PostgresTaskLeases extends TaskLeases {
  /** This process, as lease rows name it. */
  readonly holder: string;
  /** Runs whose leases this process holds and renews. */
  readonly active: number;
  /** Renews every lease this process holds now; resolves with how many were renewed. */
  renew(): Promise<number>;
  /** Stops renewing (leases still held then expire and get reaped); ends the pool when Writ opened it. */
  close(): Promise<void>;
}

const optionsSchema = z
  .strictObject({
    ...clientConnectionShape,
    service: z.string().min(1).max(256),
    ttlMs: z.number().int().min(1_000).max(86_400_000).optional(),
    renewEveryMs: z.number().int().min(10).optional(),
    createTables: z.boolean().optional(),
    holder: z.string().min(1).max(256).optional(),
    onError: functionSchema<(e: WritError) => void>().optional(),
    tokenKey: tokenKeySchema.optional(),
  })
  .refine(...oneConnection)
  .refine((o) => o.renewEveryMs === undefined || o.renewEveryMs < (o.ttlMs ?? 30_000), {
    message: 'must be less than ttlMs',
    path: ['renewEveryMs'],
  });

const runKey = (taskId: string, runId: string) => `${taskId}\u0000${runId}`;

/**
 * Task leases in PostgreSQL, for `createCredentialBroker({ leases })`: every credential the broker issues
 * is listed on its run's lease row before it is handed out; this process renews its leases every
 * `renewEveryMs` while the runs last, and releases a lease when its run ends. When the process dies
 * (SIGKILL, OOM, a lost node) the lease expires and a reaper ({@link createReaper}) in any replica
 * revokes the credentials and records the task as `abandoned`.
 *
 * A lease already closed by a reaper is never reopened: a process that wakes after its lease was reaped
 * gets no new credential for that run (`WRIT_CREDENTIAL_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * import { createCredentialBroker } from '@writ/identity';
 *
 * const revocations = await createPostgresRevocationList({ pool });
 * const leases = await createPostgresTaskLeases({ pool, service: 'support', ttlMs: 30_000 });
 * const credentials = createCredentialBroker({ authority, revocations, leases });
 * const writ = createWrit({ service: 'support', credentials, identity, policy, audit });
 * ```
 */
export async function createPostgresTaskLeases(
  options: CreatePostgresTaskLeasesOptions,
): Promise<PostgresTaskLeases> {
  const o = validateOptions(
    optionsSchema,
    options,
    'createPostgresTaskLeases',
  ) as CreatePostgresTaskLeasesOptions;
  const schema = o.schema ?? POSTGRES_LEASE_DEFAULTS.schema;
  const table = leaseTable(schema);
  const ttlMs = o.ttlMs ?? POSTGRES_LEASE_DEFAULTS.ttlMs;
  const renewEveryMs = o.renewEveryMs ?? Math.floor(ttlMs / 3);
  const holder = o.holder ?? `leases-${uuidv7()}`;
  const report = reporter(o.onError);
  const sealer = o.tokenKey === undefined ? undefined : tokenSealer(o.tokenKey);
  const { pool, owned } = await openLeaseTables(o, schema, report, 'the PostgreSQL task leases');
  const active = new Set<string>();
  let closed = false;

  const renew = async (): Promise<number> => {
    if (active.size === 0) return 0;
    const { rows } = await pool.query<{ task_id: string; run_id: string }>(
      `UPDATE ${table} SET expires_at = now() + make_interval(secs => $2::float8 / 1000)
        WHERE holder = $1 AND state = 'active' RETURNING task_id, run_id`,
      [holder, ttlMs],
    );
    const renewed = new Set(rows.map((r) => runKey(r.task_id, r.run_id)));
    for (const key of active) {
      if (renewed.has(key)) continue;
      active.delete(key);
      const [taskId, runId] = key.split('\u0000');
      report(
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `the lease of task ${taskId} was closed by a reaper while this process still ran it`,
          { details: { reason: 'lease_reaped', taskId, runId } },
        ),
      );
    }
    return rows.length;
  };
  const timer = setInterval(() => {
    renew().catch((error) => report(unavailable('renewing task leases failed', error)));
  }, renewEveryMs);
  timer.unref?.();

  return {
    name: 'postgres-task-leases',
    holder,
    get active() {
      return active.size;
    },
    renew,
    async hold(attribution: Attribution, leased: LeasedCredential) {
      if (closed) throw new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task leases are closed');
      const runId = attribution.runId ?? '';
      const credential = leaseCredential(leased.credential, leased.revocation, sealer);
      let rowCount: number;
      try {
        const result = await pool.query(
          `INSERT INTO ${table} AS l (task_id, run_id, service, holder, attribution, credentials, expires_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, jsonb_build_array($6::jsonb),
                   now() + make_interval(secs => $7::float8 / 1000))
           ON CONFLICT (task_id, run_id) DO UPDATE
             SET credentials = l.credentials || EXCLUDED.credentials,
                 expires_at = greatest(l.expires_at, EXCLUDED.expires_at)
             WHERE l.state = 'active' AND l.holder = EXCLUDED.holder
           RETURNING 1`,
          [
            attribution.taskId,
            runId,
            o.service,
            holder,
            JSON.stringify(leaseAttribution(attribution)),
            JSON.stringify(credential),
            ttlMs,
          ],
        );
        rowCount = result.rows.length;
      } catch (error) {
        throw unavailable('the credential could not be listed on its task lease', error, {
          taskId: attribution.taskId,
        });
      }
      if (rowCount === 0) {
        throw new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `the lease of task ${attribution.taskId} is closed (reaped, or held by another process)`,
          { details: { reason: 'lease_closed', taskId: attribution.taskId, runId } },
        );
      }
      active.add(runKey(attribution.taskId, runId));
    },
    async release(runs: readonly LeasedRun[]) {
      if (runs.length === 0) return;
      const taskIds = runs.map((r) => r.taskId);
      const runIds = runs.map((r) => r.runId ?? '');
      for (let i = 0; i < runs.length; i++) active.delete(runKey(taskIds[i] as string, runIds[i] as string));
      try {
        await pool.query(
          `UPDATE ${table} SET state = 'released', closed_at = now(),
                  credentials = (SELECT coalesce(jsonb_agg(c - 'token'), '[]'::jsonb)
                                   FROM jsonb_array_elements(credentials) AS c)
            WHERE holder = $1 AND state = 'active'
              AND (task_id, run_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
          [holder, taskIds, runIds],
        );
      } catch (error) {
        throw unavailable('the task lease could not be released', error, { taskIds });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (owned) await pool.end().catch(() => undefined);
    },
  };
}

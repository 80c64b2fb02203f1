import { WritError } from '@writ/core';
import { uuidv7, validateOptions } from '@writ/core/internal';
import {
  AUDIT_EVENT_VERSION,
  type AuditEvent,
  type CredentialRef,
  type RevocationEvent,
  type TaskEndEvent,
} from '@writ/core/plugin';
import { revokeToken } from '@writ/identity';
import { reporter, unavailable } from '../shared/report.js';
import { tokenBinding, tokenSealer } from '../shared/token-seal.js';
import {
  type LeaseAttribution,
  type LeaseCredential,
  leaseAttributionSchema,
  leaseCredentialsSchema,
} from './lease-row.js';
import { leaseTable, openLeaseTables } from './lease-tables.js';
import {
  type CreateReaperOptions,
  REAPER_DEFAULTS,
  type ReapedRun,
  type Reaper,
  reaperOptionsSchema,
} from './reaper-options.js';

interface ClaimedRow {
  task_id: string;
  run_id: string;
  service: string;
  attribution: unknown;
  credentials: unknown;
  duration_ms: number;
}

/**
 * The reaper of fleet mode: run it in any (or every) replica. Each pass claims leases that expired — their
 * process stopped renewing them (killed, crashed, partitioned) — with `FOR UPDATE SKIP LOCKED` and a state
 * transition (`active` → `reaping`, fenced by this reaper's id), so exactly one reaper acts on a lease;
 * then, for each:
 * 1. revokes every credential the lease lists on the revocation list (every replica refuses them), and
 *    each exchanged credential at the configured RFC 7009 endpoint;
 * 2. records a `revocation` and a `task-end { status: 'abandoned' }` in the audit log (the task's requester,
 *    chain and correlation id, from the lease);
 * 3. marks the lease `abandoned` and drops the tokens it kept.
 * A pass that fails half-way leaves the lease claimed; once the claim lapses (`claimMs`) a reaper retries
 * (revoking twice is harmless). Closed leases older than `retainMs` are deleted.
 *
 * @example
 * ```ts
 * import { createFileAuditSink } from '@writ/audit';
 *
 * const audit = await createFileAuditSink({ dir: '.writ/audit-reaper' });
 * const revocations = await createPostgresRevocationList({ pool });
 * const reaper = await createReaper({ pool, audit, revocations });
 * reaper.start();
 * ```
 */
export async function createReaper(options: CreateReaperOptions): Promise<Reaper> {
  const o = validateOptions(reaperOptionsSchema, options, 'createReaper') as CreateReaperOptions;
  const D = REAPER_DEFAULTS;
  const schema = o.schema ?? D.schema;
  const table = leaseTable(schema);
  const clock = o.clock ?? Date.now;
  const instance = o.instance ?? `reaper-${uuidv7()}`;
  const report = reporter(o.onError);
  const { pool, owned } = await openLeaseTables(o, schema, report, 'the reaper');
  const exchange = o.exchange;
  const sealer = o.tokenKey === undefined ? undefined : tokenSealer(o.tokenKey);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let closed = false;

  const claim = async (): Promise<ClaimedRow[]> => {
    const { rows } = await pool.query<ClaimedRow>(
      `UPDATE ${table} AS l
          SET state = 'reaping', reaper = $1, reap_until = now() + make_interval(secs => $2::float8 / 1000)
         FROM (SELECT task_id, run_id FROM ${table}
                WHERE (state = 'active' AND expires_at < now()) OR (state = 'reaping' AND reap_until < now())
                ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED) AS due
        WHERE l.task_id = due.task_id AND l.run_id = due.run_id
        RETURNING l.task_id, l.run_id, l.service, l.attribution, l.credentials,
                  (extract(epoch FROM now() - l.started_at) * 1000)::float8 AS duration_ms`,
      [instance, o.claimMs ?? D.claimMs, o.batchSize ?? D.batchSize],
    );
    return rows;
  };

  const event = (row: ClaimedRow, a: LeaseAttribution) => ({
    ...a,
    id: uuidv7(),
    service: row.service,
    taskId: row.task_id,
    time: new Date(clock()).toISOString(),
    v: AUDIT_EVENT_VERSION,
  });

  /** Revokes one exchanged credential remotely, only at the configured endpoint as the configured client. */
  const revokeRemotely = async (c: LeaseCredential, taskId: string): Promise<boolean> => {
    if (c.revocationEndpoint === undefined) return false;
    const notRevoked = (reason: string, message: string, cause?: unknown) => {
      report(
        new WritError('WRIT_IDENTITY_UNAVAILABLE', `task ${taskId}: ${message}`, {
          ...(cause === undefined ? {} : { cause }),
          details: { reason, taskId, jti: c.jti },
        }),
      );
      return false;
    };
    if (
      exchange === undefined ||
      c.revocationEndpoint !== exchange.revocationEndpoint ||
      c.clientId !== exchange.clientId
    ) {
      return notRevoked(
        'revocation_endpoint_not_configured',
        'an exchanged credential names a revocation endpoint or client this reaper is not configured for; it was not contacted',
      );
    }
    if (c.token === undefined) {
      return notRevoked(
        'lease_token_not_kept',
        'an exchanged credential was revoked on the shared list only: its token was not kept (no tokenKey on the task leases)',
      );
    }
    if (sealer === undefined) {
      return notRevoked(
        'lease_token_key_missing',
        'an exchanged credential was revoked on the shared list only: this reaper has no tokenKey to open its sealed token',
      );
    }
    let token: string;
    try {
      token = sealer.open(c.token, tokenBinding(c));
    } catch (error) {
      return notRevoked(
        'lease_token_unsealable',
        'the sealed token of an exchanged credential does not open (altered, moved, or another tokenKey); it was not sent anywhere',
        error,
      );
    }
    try {
      await revokeToken({
        revocationEndpoint: exchange.revocationEndpoint,
        token,
        tokenTypeHint: 'access_token',
        clientId: exchange.clientId,
        clientSecret: exchange.clientSecret,
        clientAuth: exchange.clientAuth,
        fetch: exchange.fetch,
        timeoutMs: exchange.timeoutMs,
      });
      return true;
    } catch (error) {
      report(unavailable(`task ${taskId}: remote revocation failed`, error, { jti: c.jti }));
      return false;
    }
  };

  const close1 = async (row: ClaimedRow): Promise<ReapedRun | undefined> => {
    const attribution = leaseAttributionSchema.safeParse(row.attribution);
    const credentials = leaseCredentialsSchema.safeParse(row.credentials);
    const reason = D.reason;
    // revoking is always safe: whatever credentials can be read are revoked first
    if (credentials.success) {
      for (const c of credentials.data) await o.revocations.revoke(c.jti, c.expiresAt, reason);
    }
    if (!credentials.success || !attribution.success) {
      // an edited row: nothing of it is written to the audit log; it stays claimed for a human to look at
      report(
        new WritError('WRIT_INTERNAL', `task ${row.task_id}: its lease row does not parse; left claimed`, {
          details: { reason: 'lease_row_invalid', taskId: row.task_id, runId: row.run_id },
        }),
      );
      return undefined;
    }
    let remotelyRevoked = 0;
    for (const c of credentials.data) if (await revokeRemotely(c, row.task_id)) remotelyRevoked++;
    const a = attribution.data as LeaseAttribution;
    if (credentials.data.length > 0) {
      const refs: CredentialRef[] = credentials.data.map((c) =>
        c.audience === undefined
          ? { expiresAt: c.expiresAt, jti: c.jti, type: c.type }
          : { audience: c.audience, expiresAt: c.expiresAt, jti: c.jti, type: c.type },
      );
      const revocation: RevocationEvent = { ...event(row, a), credentials: refs, kind: 'revocation', reason };
      await o.audit.append(revocation as AuditEvent, { durability: 'strict' });
    }
    const end: TaskEndEvent = {
      ...event(row, a),
      durationMs: Math.round(row.duration_ms),
      kind: 'task-end',
      status: 'abandoned',
    };
    await o.audit.append(end as AuditEvent, { durability: 'strict' });
    const { rows } = await pool.query(
      `UPDATE ${table} SET state = 'abandoned', closed_at = now(),
              credentials = (SELECT coalesce(jsonb_agg(c - 'token'), '[]'::jsonb)
                               FROM jsonb_array_elements(credentials) AS c)
        WHERE task_id = $1 AND run_id = $2 AND state = 'reaping' AND reaper = $3 RETURNING 1`,
      [row.task_id, row.run_id, instance],
    );
    if (rows.length === 0) {
      report(
        new WritError(
          'WRIT_INTERNAL',
          `task ${row.task_id}: another reaper took the lease over before this one finished`,
          { details: { reason: 'lease_claim_lost', taskId: row.task_id, runId: row.run_id } },
        ),
      );
    }
    return {
      taskId: row.task_id,
      runId: row.run_id,
      revoked: credentials.data.map((c) => c.jti),
      remotelyRevoked,
    };
  };

  const reapOnce = async (): Promise<readonly ReapedRun[]> => {
    let rows: ClaimedRow[];
    try {
      rows = await claim();
    } catch (error) {
      throw unavailable('the reaper could not claim expired leases', error);
    }
    const closedRuns: ReapedRun[] = [];
    for (const row of rows) {
      try {
        const done = await close1(row);
        if (done !== undefined) closedRuns.push(done);
      } catch (error) {
        report(
          unavailable(`task ${row.task_id}: closing its abandoned run failed (retried later)`, error, {
            taskId: row.task_id,
          }),
        );
      }
    }
    await pool
      .query(
        `DELETE FROM ${table} WHERE state IN ('released', 'abandoned')
            AND closed_at < now() - make_interval(secs => $1::float8 / 1000)`,
        [o.retainMs ?? D.retainMs],
      )
      .catch((error) => report(unavailable('pruning closed task leases failed', error)));
    return closedRuns;
  };

  return {
    instance,
    reapOnce,
    start() {
      if (closed || timer !== undefined) return;
      timer = setInterval(() => {
        if (running !== undefined) return;
        running = reapOnce()
          .catch((error) => report(unavailable('a reaper pass failed', error)))
          .finally(() => {
            running = undefined;
          });
      }, o.intervalMs ?? D.intervalMs);
      timer.unref?.();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await running;
      if (owned) await pool.end().catch(() => undefined);
    },
  };
}

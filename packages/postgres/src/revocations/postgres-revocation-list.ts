import { WritError } from '@writ/core';
import { uuidv7, validateOptions } from '@writ/core/internal';
import { migrateLocked } from '../shared/migrate.js';
import { loadPg, type PgClient, resolvePool } from '../shared/pg-pool.js';
import { reporter, unavailable } from '../shared/report.js';
import {
  type CreatePostgresRevocationListOptions,
  POSTGRES_REVOCATION_DEFAULTS,
  type PostgresRevocationList,
  revocationListOptionsSchema,
} from './revocation-list-options.js';
import { revocationDdl, revocationTables } from './revocation-tables.js';

interface Listener {
  readonly client: PgClient;
  close(): void;
}

/**
 * A revocation list kept in PostgreSQL, for fleets: a revocation made by any replica is refused by every
 * other one within a bound.
 * - `revoke` commits a row (`jti`, expiry, reason, time, who) with a gap-free sequence number and a
 *   NOTIFY; it resolves once committed.
 * - Each replica keeps a copy, fed by LISTEN (a notification only wakes the copy up: rows are always read
 *   from the table, by sequence number, so a forged NOTIFY can neither add nor skip anything) and
 *   confirmed every `pollMs` by a catch-up query on the LISTEN session.
 * - **Fails closed when stale**: while the LISTEN session is down (dropped, `pg_terminate_backend`, server
 *   restart), and whenever the copy was not confirmed within `maxStalenessMs`, `isRevoked` throws a typed
 *   error for every credential it does not already know revoked. It reconnects, catches up, and answers
 *   again.
 *
 * Pass it as the broker's `revocations` and as `verifyTaskToken`'s `isRevoked`.
 *
 * @example
 * ```ts
 * import { createCredentialBroker, verifyTaskToken } from '@writ/identity';
 *
 * const revocations = await createPostgresRevocationList({ connectionString: process.env.DATABASE_URL });
 * const credentials = createCredentialBroker({ authority, revocations });
 * // in a downstream service, any replica:
 * await verifyTaskToken(token, { issuer, audience, jwks, isRevoked: revocations.isRevoked });
 * ```
 */
export async function createPostgresRevocationList(
  options: CreatePostgresRevocationListOptions,
): Promise<PostgresRevocationList> {
  const o = validateOptions(
    revocationListOptionsSchema,
    options,
    'createPostgresRevocationList',
  ) as CreatePostgresRevocationListOptions;
  const D = POSTGRES_REVOCATION_DEFAULTS;
  const t = revocationTables(o.schema ?? D.schema);
  const clock = o.clock ?? Date.now;
  const maxStalenessMs = o.maxStalenessMs ?? D.maxStalenessMs;
  const pollMs = o.pollMs ?? Math.max(10, Math.floor(maxStalenessMs / 4));
  const marginMs = o.marginMs ?? D.marginMs;
  const instance = o.instance ?? `revocations-${uuidv7()}`;
  const report = reporter(o.onError);
  const { pool, owned } = await resolvePool(o, report);

  const entries = new Map<string, number>();
  let seq = 0;
  let confirmedAt: number | undefined;
  let listener: Listener | undefined;
  let generation = 0;
  let closed = false;
  let backoff: number = D.reconnectMs;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let lastPrune = 0;

  const pruneLocal = (now: number) => {
    if (now - lastPrune < 1_000) return;
    lastPrune = now;
    for (const [jti, until] of entries) if (until + marginMs < now) entries.delete(jti);
  };
  const remember = (jti: string, until: number) => entries.set(jti, Math.max(until, entries.get(jti) ?? 0));
  const staleError = (why: string) =>
    new WritError(
      'WRIT_IDENTITY_UNAVAILABLE',
      `the revocation list cannot vouch that a credential is not revoked: ${why}`,
      {
        details: {
          reason: 'revocations_stale',
          listening: listener !== undefined,
          seq,
          maxStalenessMs,
          staleForMs: confirmedAt === undefined ? null : clock() - confirmedAt,
        },
      },
    );

  /** One catch-up on the LISTEN session: every row numbered after `seq`; confirms the copy when done. */
  const catchUpOnce = async (): Promise<void> => {
    const l = listener;
    if (l === undefined) throw staleError('its LISTEN session is down');
    const asked = clock();
    for (;;) {
      const { rows } = await l.client.query<{ seq: string; jti: string; until: number }>(
        `SELECT seq::text AS seq, jti, (extract(epoch FROM expires_at) * 1000)::float8 AS until
           FROM ${t.revocations} WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [seq, D.pageSize],
      );
      for (const row of rows) {
        remember(row.jti, Number(row.until));
        seq = Number(row.seq);
      }
      if (rows.length < D.pageSize) break;
    }
    // rows are read in commit order (see revocationDdl): the copy holds everything committed before `asked`
    if (listener === l) confirmedAt = asked;
  };
  let queued: Promise<void> | undefined;
  let tail: Promise<void> = Promise.resolve();
  /** Catch-ups run one at a time; requests made while one waits share it. */
  const catchUp = (): Promise<void> => {
    if (queued !== undefined) return queued;
    const next = tail.then(() => {
      queued = undefined;
      return catchUpOnce();
    });
    queued = next;
    tail = next.catch(() => undefined);
    return next;
  };

  const openListener = async (): Promise<Listener> => {
    const connectionString = o.listenConnectionString ?? o.connectionString;
    if (connectionString !== undefined) {
      const pg = await loadPg();
      const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
      client.on('error', () => undefined); // replaced by the session's own handlers below
      await client.connect();
      return { client: client as unknown as PgClient, close: () => void client.end().catch(() => undefined) };
    }
    const client = await pool.connect();
    return { client, close: () => client.release(true) };
  };

  const lost = (gen: number, error: unknown) => {
    if (gen !== generation || closed) return;
    generation++;
    const l = listener;
    listener = undefined;
    confirmedAt = undefined;
    l?.close();
    report(unavailable('the revocation LISTEN session was lost (failing closed until caught up)', error));
    reconnectTimer = setTimeout(() => connect().catch(() => undefined), backoff);
    reconnectTimer.unref?.();
    backoff = Math.min(backoff * 2, D.maxReconnectMs);
  };

  /** Opens the LISTEN session, then catches up: anything committed later is notified on this session. */
  const connect = async (): Promise<void> => {
    const gen = ++generation;
    let l: Listener | undefined;
    try {
      l = await openListener();
      const session = l;
      session.client.on('error', (error) => lost(gen, error));
      session.client.on('end', () => lost(gen, new Error('connection ended')));
      session.client.on('notification', (message) => {
        if (message.channel === t.channelName && listener === session) {
          catchUp().catch((error) => lost(gen, error));
        }
      });
      // named, so an operator (and the tests) can find the session in pg_stat_activity
      await session.client.query("SELECT set_config('application_name', $1, false)", [
        `writ-revocations ${instance}`.slice(0, 63),
      ]);
      await session.client.query(`LISTEN ${t.channel}`);
      if (gen !== generation || closed) {
        session.close();
        return;
      }
      listener = session;
      await catchUp();
      backoff = D.reconnectMs;
    } catch (error) {
      if (listener === undefined) l?.close();
      if (gen === generation) lost(gen, error);
      throw error;
    }
  };

  try {
    if (o.createTables !== false)
      await migrateLocked(pool, `writ/revocations/${t.schema}`, revocationDdl(t), [
        t.sequence,
        t.revocations,
      ]);
    await connect();
  } catch (error) {
    closed = true;
    clearTimeout(reconnectTimer);
    listener?.close();
    if (owned) await pool.end().catch(() => undefined);
    throw unavailable('the PostgreSQL revocation list could not start', error);
  }

  const heartbeat = setInterval(() => {
    const gen = generation;
    if (listener !== undefined) catchUp().catch((error) => lost(gen, error));
  }, pollMs);
  heartbeat.unref?.();

  const list: PostgresRevocationList = {
    async revoke(jti, expiresAt, reason = D.reason) {
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 512 || !Number.isFinite(expiresAt)) {
        throw new WritError(
          'WRIT_OPTIONS_INVALID',
          'revoke: jti must be 1-512 characters and expiresAt epoch milliseconds',
        );
      }
      // refused here at once, whatever happens to the write
      remember(jti, expiresAt);
      try {
        // numbered and notified by the table's triggers (see revocationDdl)
        await pool.query(
          `INSERT INTO ${t.revocations} (jti, expires_at, reason, revoked_by)
           VALUES ($1, to_timestamp($2::float8 / 1000), $3, $4)`,
          [jti, expiresAt, reason.slice(0, 256), instance],
        );
      } catch (error) {
        throw unavailable('the revocation could not be stored', error, { jti });
      }
    },
    isRevoked(jti) {
      if (entries.has(jti)) return true;
      if (closed) throw staleError('it is closed');
      const now = clock();
      if (listener === undefined) throw staleError('its LISTEN session is down');
      if (confirmedAt === undefined || now - confirmedAt > maxStalenessMs) {
        throw staleError(`not confirmed for more than ${maxStalenessMs} ms`);
      }
      pruneLocal(now);
      return false;
    },
    async sync() {
      if (closed) throw staleError('it is closed');
      await catchUp();
    },
    async prune() {
      const { rows } = await pool.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${t.revocations}
            WHERE expires_at < now() - make_interval(secs => $1::float8 / 1000) RETURNING 1)
         SELECT count(*)::text AS n FROM gone`,
        [marginMs],
      );
      return Number(rows[0]?.n ?? 0);
    },
    get size() {
      return entries.size;
    },
    get state() {
      const now = clock();
      return {
        fresh: listener !== undefined && confirmedAt !== undefined && now - confirmedAt <= maxStalenessMs,
        listening: listener !== undefined,
        seq,
        confirmedAt,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      generation++;
      clearInterval(heartbeat);
      clearTimeout(reconnectTimer);
      listener?.close();
      listener = undefined;
      if (owned) await pool.end().catch(() => undefined);
    },
  };
  return list;
}

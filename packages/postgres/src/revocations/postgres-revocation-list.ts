import { WritError } from '@writ/core';
import { clockSchema, functionSchema, uuidv7, validateOptions } from '@writ/core/internal';
import type { RevocationList } from '@writ/identity';
import { z } from 'zod';
import { migrateLocked } from '../shared/migrate.js';
import {
  clientConnectionShape,
  loadPg,
  oneConnection,
  type PgClient,
  type PgClientPool,
  resolvePool,
} from '../shared/pg-pool.js';
import { reporter, unavailable } from '../shared/report.js';
import { revocationDdl, revocationTables } from './revocation-tables.js';

/**
 * Defaults of {@link createPostgresRevocationList}.
 *
 * @example
 * ```ts
 * // a tighter bound: refuse after 2 s without a confirmed copy
 * const revocations = await createPostgresRevocationList({
 *   pool,
 *   maxStalenessMs: POSTGRES_REVOCATION_DEFAULTS.maxStalenessMs / 5,
 * });
 * ```
 */
export const POSTGRES_REVOCATION_DEFAULTS = Object.freeze({
  /** Schema holding the tables. @default 'writ' */
  schema: 'writ',
  /** Longest time `isRevoked` answers "not revoked" from a copy not confirmed up to date, ms. @default 10000 */
  maxStalenessMs: 10_000,
  /** Kept past expiry to cover verifiers' clock tolerance, ms. @default 60000 */
  marginMs: 60_000,
  /** First wait before reconnecting a lost LISTEN connection (doubled up to `maxReconnectMs`), ms. @default 200 */
  reconnectMs: 200,
  /** @default 5000 */
  maxReconnectMs: 5_000,
  /** Rows per catch-up query. @default 5000 */
  pageSize: 5_000,
  /** Reason stored with a revocation when none is given. @default 'revoked' */
  reason: 'revoked',
});

/**
 * Options of {@link createPostgresRevocationList}.
 *
 * @example
 * ```ts
 * const options: CreatePostgresRevocationListOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   maxStalenessMs: 5_000,
 *   onError: (error) => console.warn(`revocations: ${error.code} ${error.message}`),
 * };
 * const revocations = await createPostgresRevocationList(options);
 * ```
 */
export interface CreatePostgresRevocationListOptions {
  /** A pool you own (`pg.Pool`); never ended by Writ. Exactly one of `pool` and `connectionString`. */
  pool?: PgClientPool;
  /** `postgres://…`; Writ opens a small pool and closes it. */
  connectionString?: string;
  /** @default 'writ' */
  schema?: string;
  /**
   * Where the LISTEN session connects (a direct server address). Needed when `pool`/`connectionString`
   * go through a transaction-mode pooler (PgBouncer), which cannot carry LISTEN.
   * @default a dedicated connection from `connectionString`, or one client held from `pool`
   */
  listenConnectionString?: string;
  /** Longest time "not revoked" is answered from a copy not confirmed up to date, ms. @default 10000 */
  maxStalenessMs?: number;
  /** How often the copy is confirmed against the table (catch-up), ms. @default maxStalenessMs / 4 */
  pollMs?: number;
  /** @default 60000 */
  marginMs?: number;
  /** Create the tables when missing (needs CREATE on the database; skipped when they exist). @default true */
  createTables?: boolean;
  /** Who revokes, stored with each revocation (`revoked_by`). @default a new id per list */
  instance?: string;
  /** @default Date.now */
  clock?: () => number;
  /** Lost connections, failed catch-ups (the list fails closed meanwhile). */
  onError?: (error: WritError) => void;
}

/**
 * Where a {@link PostgresRevocationList}'s copy stands.
 *
 * @example
 * ```ts
 * const { fresh, listening, seq } = revocations.state;
 * if (!fresh) console.warn(`revocations stale at #${seq} (listening: ${listening})`);
 * ```
 */
export interface PostgresRevocationState {
  /** `isRevoked` answers (else it throws for credentials it does not know revoked). */
  readonly fresh: boolean;
  /** The LISTEN session is up. */
  readonly listening: boolean;
  /** Sequence number of the last revocation copied. */
  readonly seq: number;
  /** When the copy was last confirmed complete (`clock()` ms), if it ever was on this session. */
  readonly confirmedAt: number | undefined;
}

/**
 * A revocation list every replica sees (see {@link createPostgresRevocationList}).
 *
 * @example
 * ```ts
 * const revocations: PostgresRevocationList = await createPostgresRevocationList({ pool });
 * await revocations.revoke(verified.jti, verified.expiresAt, 'logout');
 * revocations.state.fresh; // true while the NOTIFY session is up and confirmed
 * await revocations.close();
 * ```
 */
export interface PostgresRevocationList extends RevocationList {
  /** Stores the revocation (resolves once committed; every replica is notified), and copies it here first. */
  revoke(jti: string, expiresAt: number, reason?: string): Promise<void>;
  /**
   * `true` for a credential known revoked. For any other, `false` only while the copy is fresh; otherwise
   * throws `WRIT_IDENTITY_UNAVAILABLE` (`details.reason: 'revocations_stale'`): callers fail closed.
   */
  isRevoked(jti: string): boolean;
  /** Catches up with the table now; rejects (typed) when it cannot. */
  sync(): Promise<void>;
  /** Deletes revocations whose credentials expired more than `marginMs` ago; returns how many. */
  prune(): Promise<number>;
  readonly state: PostgresRevocationState;
  /** Stops listening; ends the pool when Writ opened it. `isRevoked` then throws. */
  close(): Promise<void>;
}

const optionsSchema = z
  .strictObject({
    ...clientConnectionShape,
    listenConnectionString: z.string().min(1).optional(),
    maxStalenessMs: z.number().int().min(100).max(3_600_000).optional(),
    pollMs: z.number().int().min(10).max(3_600_000).optional(),
    marginMs: z.number().int().min(0).max(86_400_000).optional(),
    createTables: z.boolean().optional(),
    instance: z.string().min(1).max(256).optional(),
    clock: clockSchema.optional(),
    onError: functionSchema<(e: WritError) => void>().optional(),
  })
  .refine(...oneConnection)
  .refine((o) => o.pollMs === undefined || o.pollMs < (o.maxStalenessMs ?? 10_000), {
    message: 'must be less than maxStalenessMs',
    path: ['pollMs'],
  });

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
    optionsSchema,
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

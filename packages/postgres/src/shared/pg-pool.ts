import { WritError } from '@writ/core';
import { z } from 'zod';
import { unavailable } from './report.js';

/**
 * A query result: the rows, typed by the caller.
 *
 * @example
 * ```ts
 * const { rows }: PgResult<{ n: number }> = await pool.query('SELECT 1 AS n');
 * ```
 */
export interface PgResult<R> {
  readonly rows: R[];
  readonly rowCount?: number | null;
}

/**
 * What the stores need of a PostgreSQL pool: one-statement queries (`pg.Pool` satisfies it). Every store
 * operation is a single statement on whichever connection the pool hands out, so the pool may sit behind
 * a transaction-mode pooler (PgBouncer, RDS Proxy) — only `LISTEN` needs a direct connection.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  end(): Promise<void>;
}

/**
 * What the revocation list and the task leases need of a PostgreSQL connection (`pg.Client` and
 * `pg.PoolClient` satisfy it), spelled out so the types never require `pg`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const client: PgClient = await new pg.Pool().connect();
 * ```
 */
export interface PgClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/**
 * What the revocation list, the task leases and the reaper need of a pool: a {@link PgPool} that also
 * lends a client (for `LISTEN` and for the locked migration). A `pg.Pool` satisfies it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgClientPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgClientPool extends PgPool {
  connect(): Promise<PgClient & { release(destroy?: boolean | Error): void }>;
}

/**
 * How a store reaches PostgreSQL: a pool you own, or a connection string (Writ opens and closes a pool).
 *
 * @example
 * ```ts
 * const connection: PgConnectionOptions = { connectionString: process.env.DATABASE_URL, schema: 'writ' };
 * ```
 */
export interface PgConnectionOptions {
  /** A pool you own (`pg.Pool`); Writ never ends it. */
  readonly pool?: PgPool | undefined;
  /** `postgres://user:password@host:5432/db`; never echoed in errors. */
  readonly connectionString?: string | undefined;
  /** Schema holding the tables. @default 'writ' */
  readonly schema?: string | undefined;
}

/** Schema names: lower-case SQL identifiers. @internal */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A pool option: an object with the given methods. */
const poolOption = <P>(methods: readonly (keyof PgClientPool)[], message: string) =>
  z
    .custom<P>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
      { message },
    )
    .optional();

/**
 * The zod shape of {@link PgConnectionOptions} (exactly one of pool and connectionString is checked apart).
 * @internal
 */
export const connectionShape = {
  pool: poolOption<PgPool>(['query'], 'must be a pg.Pool (or implement query())'),
  connectionString: z.string().min(1).optional(),
  schema: z
    .string()
    .regex(SCHEMA_NAME, { message: 'must be a lower-case SQL identifier (^[a-z_][a-z0-9_]{0,62}$)' })
    .optional(),
};

/** {@link connectionShape} with a {@link PgClientPool} (revocations, leases, the reaper). @internal */
export const clientConnectionShape = {
  ...connectionShape,
  pool: poolOption<PgClientPool>(
    ['connect', 'query'],
    'must be a pg.Pool (or implement connect() and query())',
  ),
};

/** Exactly one of `pool` and `connectionString` (arguments of zod's `refine`). @internal */
export const oneConnection: [
  (o: { pool?: unknown; connectionString?: unknown }) => boolean,
  { message: string; path: string[] },
] = [
  (o) => (o.pool === undefined) !== (o.connectionString === undefined),
  { message: 'give exactly one of pool and connectionString', path: ['pool'] },
];

/** Loads `pg` (an optional peer dependency), failing with a message that says how to install it. @internal */
export async function loadPg(): Promise<typeof import('pg').default> {
  try {
    return (await import('pg')).default;
  } catch (cause) {
    throw new WritError('WRIT_OPTIONS_INVALID', '@writ/postgres needs the "pg" package: npm install pg', {
      cause,
      details: { reason: 'pg_missing' },
    });
  }
}

/**
 * The pool to use (opened lazily for a connection string, at most 4 connections) and how to close what
 * Writ opened: the call ledger and the approval store.
 * @internal
 */
export function lazyPool(options: PgConnectionOptions): {
  readonly get: () => Promise<PgPool>;
  readonly close: () => Promise<void>;
} {
  if (options.pool !== undefined) {
    const pool = options.pool;
    return { get: async () => pool, close: async () => {} };
  }
  let opened: Promise<PgPool> | undefined;
  return {
    get() {
      opened ??= loadPg().then((pg) => {
        const pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
        // an idle connection dropped by the server (restart, failover, pg_terminate_backend): the pool
        // discards it and the next query opens another; nothing to report
        pool.on('error', () => undefined);
        return pool as unknown as PgPool;
      });
      return opened;
    },
    async close() {
      const pool = opened;
      opened = undefined;
      if (pool !== undefined) await (await pool).end();
    },
  };
}

/** A pool to use, and whether Writ opened it (and so ends it). @internal */
export interface ResolvedPool {
  readonly pool: PgClientPool;
  readonly owned: boolean;
}

/**
 * The pool named by the options, opened at once for a connection string (a small one, at most 2
 * connections, whose idle failures are reported): the revocation list, the task leases and the reaper.
 * @internal
 */
export async function resolvePool(
  o: { pool?: PgClientPool | undefined; connectionString?: string | undefined },
  report: (error: WritError) => void,
): Promise<ResolvedPool> {
  if (o.pool !== undefined) return { pool: o.pool, owned: false };
  const pg = await loadPg();
  const pool = new pg.Pool({ connectionString: o.connectionString, max: 2, connectionTimeoutMillis: 5_000 });
  // an idle connection that drops must not crash the process
  pool.on('error', (error) => report(unavailable('an idle PostgreSQL connection failed', error)));
  return { pool: pool as unknown as PgClientPool, owned: true };
}

/** A double-quoted identifier (names are checked against {@link SCHEMA_NAME} first). @internal */
export const ident = (name: string) => `"${name}"`;

/** A quoted, validated schema name. @internal */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new WritError('WRIT_OPTIONS_INVALID', `invalid schema name "${schema}"`);
  return ident(schema);
}

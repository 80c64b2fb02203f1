import { WritError } from '@writ/core';
import { z } from 'zod';

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
  query<R = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ readonly rows: R[]; readonly rowCount: number | null }>;
  end(): Promise<void>;
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

/** Schema names: lower-case SQL identifiers. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The zod shape of {@link PgConnectionOptions} (exactly one of pool and connectionString is checked apart). */
export const connectionShape = {
  pool: z
    .custom<PgPool>((v) => typeof v === 'object' && v !== null && typeof (v as PgPool).query === 'function', {
      message: 'must be a pg.Pool (or implement query())',
    })
    .optional(),
  connectionString: z.string().min(1).optional(),
  schema: z
    .string()
    .regex(SCHEMA_NAME, { message: 'must be a lower-case SQL identifier (^[a-z_][a-z0-9_]{0,62}$)' })
    .optional(),
};

/** Exactly one of `pool` and `connectionString` (arguments of zod's `refine`). */
export const oneConnection: [
  (o: { pool?: unknown; connectionString?: unknown }) => boolean,
  { message: string; path: string[] },
] = [
  (o) => (o.pool === undefined) !== (o.connectionString === undefined),
  { message: 'give exactly one of pool and connectionString', path: ['pool'] },
];

/** Loads `pg` (an optional peer dependency), failing with a message that says how to install it. */
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

/** The pool to use (opened lazily for a connection string) and how to close what Writ opened. */
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

/** A double-quoted identifier (names are checked against {@link SCHEMA_NAME} first). */
export const ident = (name: string) => `"${name}"`;

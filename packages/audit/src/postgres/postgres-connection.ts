import { WritError } from '@writ/core';
import { z } from 'zod';
import { auditUnavailable } from '../audit-unavailable.js';

/**
 * A query result: the rows, typed by the caller.
 *
 * @example
 * ```ts
 * const { rows }: PostgresQueryResult<{ n: number }> = await pool.query('SELECT 1 AS n');
 * ```
 */
export interface PostgresQueryResult<R> {
  readonly rows: R[];
}

/**
 * What Writ needs of a PostgreSQL connection. `pg.Client` / `pg.PoolClient` satisfy it; it is spelled
 * out here so that the types of `@writ/audit` never require `pg` (an optional peer dependency).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 *
 * const client: PostgresClient = await new pg.Pool().connect();
 * ```
 */
export interface PostgresClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresQueryResult<R>>;
  /** Returns the client to its pool; `true` closes the connection instead. */
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * What Writ needs of a connection pool. A `pg.Pool` satisfies it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PostgresPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PostgresPool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresQueryResult<R>>;
  connect(): Promise<PostgresClient>;
  end(): Promise<void>;
}

/**
 * Where a Writ PostgreSQL log lives: a pool you own (left open), or a connection string (Writ opens a
 * small pool and closes it). Exactly one of the two.
 *
 * @example
 * ```ts
 * const where: PostgresConnectionOptions = { connectionString: process.env.DATABASE_URL };
 * ```
 */
export interface PostgresConnectionOptions {
  /** A pool you own (`pg.Pool`); Writ never ends it. */
  pool?: PostgresPool;
  /** `postgres://user:password@host:5432/db`; never echoed in errors. */
  connectionString?: string;
  /** Schema holding the Writ tables. @default 'writ_audit' */
  schema?: string;
}

/**
 * Defaults of `createPostgresAuditSink`, `readPostgresLog` and `verifyPostgresLog`.
 *
 * @example
 * ```ts
 * const sink = await createPostgresAuditSink({ pool, schema: POSTGRES_SINK_DEFAULTS.schema });
 * ```
 */
export const POSTGRES_SINK_DEFAULTS = Object.freeze({
  /** Schema holding the Writ tables. @default 'writ_audit' */
  schema: 'writ_audit',
  /** Where a log's checkpoint-signing key lives (one key file per log, never in the database). @default '.writ/keys' */
  keyDir: '.writ/keys',
  /** Size of the pool opened for a `connectionString`. @default 4 */
  poolSize: 4,
  /** Time allowed to open a connection of a pool opened for a `connectionString`, ms. @default 5000 */
  connectTimeoutMs: 5_000,
  /** Rows per page when reading a log. @default 5000 */
  pageSize: 5_000,
});

/**
 * Log ids: 1-128 characters of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, so they are safe in
 * a C2SP origin (`writ/audit/<logId>`) and in a key file name.
 *
 * @example
 * ```ts
 * POSTGRES_LOG_ID.test('support-agent'); // true
 * ```
 */
export const POSTGRES_LOG_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The message for a bad log id. */
const LOG_ID_MESSAGE = 'must be 1-128 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)';

/** Schema names: lower-case SQL identifiers that never need quoting rules beyond double quotes. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The zod shape of {@link PostgresConnectionOptions}. */
const connectionShape = {
  pool: z
    .custom<PostgresPool>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as PostgresPool).connect === 'function' &&
        typeof (v as PostgresPool).query === 'function',
      { message: 'must be a pg.Pool (or implement connect() and query())' },
    )
    .optional(),
  connectionString: z.string().min(1).optional(),
  schema: z
    .string()
    .regex(SCHEMA_NAME, { message: 'must be a lower-case SQL identifier (^[a-z_][a-z0-9_]{0,62}$)' })
    .optional(),
};

/** Exactly one of `pool` and `connectionString`. */
function oneConnection(o: { pool?: unknown; connectionString?: unknown }): boolean {
  return (o.pool === undefined) !== (o.connectionString === undefined);
}

const ONE_CONNECTION = { message: 'give exactly one of pool and connectionString', path: ['pool'] };

/**
 * The options schema of a function that takes {@link PostgresConnectionOptions} plus `shape`: strict,
 * and with exactly one of `pool` and `connectionString`.
 *
 * @example
 * ```ts
 * const readSchema = connectionOptionsSchema({ pageSize: pageSizeSchema.optional() });
 * ```
 * @internal
 */
export function connectionOptionsSchema<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...connectionShape, ...shape }).refine(oneConnection, ONE_CONNECTION);
}

/** @internal rows fetched per query when reading a log. */
export const pageSizeSchema = z.number().int().min(1).max(100_000);

/** @internal a `logId` option. */
export const logIdSchema = z.string().regex(POSTGRES_LOG_ID, { message: LOG_ID_MESSAGE });

/**
 * Throws `WRIT_OPTIONS_INVALID` (naming `fn`) unless `logId` is a valid log id ({@link POSTGRES_LOG_ID}).
 * @internal
 */
export function checkLogId(logId: unknown, fn: string): void {
  if (typeof logId !== 'string' || !POSTGRES_LOG_ID.test(logId)) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${fn}: logId ${LOG_ID_MESSAGE}`);
  }
}

/** A pool to use and whether Writ owns it (and so must end it). */
export interface ResolvedPool {
  readonly pool: PostgresPool;
  readonly owned: boolean;
  /** Where the pool points, without user or password (for messages). */
  readonly where: string;
}

/**
 * The pool named by the options. `pg` is imported only here and only for a `connectionString`, so that
 * users of the file sink never load it.
 *
 * @internal
 */
export async function resolvePool(
  o: PostgresConnectionOptions,
  onError?: (error: WritError) => void,
): Promise<ResolvedPool> {
  if (o.pool !== undefined) return { pool: o.pool, owned: false, where: 'the given pool' };
  const connectionString = o.connectionString ?? '';
  const where = safeConnectionString(connectionString);
  let Pool: typeof import('pg').Pool;
  try {
    ({ Pool } = (await import('pg')).default);
  } catch (cause) {
    throw new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      'the PostgreSQL audit sink needs the "pg" package: npm install pg',
      {
        cause,
        details: { reason: 'pg_missing' },
      },
    );
  }
  const pool = new Pool({
    connectionString,
    max: POSTGRES_SINK_DEFAULTS.poolSize,
    connectionTimeoutMillis: POSTGRES_SINK_DEFAULTS.connectTimeoutMs,
  });
  // an idle connection that drops must not crash the process
  pool.on('error', (error) => {
    onError?.(
      new WritError('WRIT_AUDIT_UNAVAILABLE', `an idle PostgreSQL connection to ${where} failed`, {
        cause: error,
      }),
    );
  });
  return { pool, owned: true, where };
}

/**
 * A connection string reduced to scheme, host, port and database: user, password and parameters are
 * dropped, so the result is safe for messages and logs.
 *
 * @example
 * ```ts
 * safeConnectionString('postgres://writer:s3cret@db.internal:5432/app?sslmode=require'); // 'postgres://db.internal:5432/app'
 * ```
 */
export function safeConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(a PostgreSQL connection string)';
  }
}

/** @internal a quoted, validated schema name. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new WritError('WRIT_OPTIONS_INVALID', `invalid schema name "${schema}"`);
  }
  return `"${schema}"`;
}

/**
 * @internal converts a failure talking to PostgreSQL into WRIT_AUDIT_UNAVAILABLE; any WritError (a
 * refusal of Writ's own, such as a bad schema name) is kept as it is.
 */
export function unavailable(message: string, cause: unknown, details?: Record<string, unknown>): WritError {
  return WritError.isInstance(cause) ? cause : auditUnavailable(message, cause, details);
}

// TODO(store): the fleet pieces (ledger, approvals: store.ts; revocations, leases: here) should share one
// connection helper once both branches are merged. Kept local to stay out of store.ts.
import { WritError } from '@writ/core';
import { z } from 'zod';

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
 * What the revocation list and the task leases need of a pool. A `pg.Pool` satisfies it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  connect(): Promise<PgClient & { release(destroy?: boolean | Error): void }>;
  end(): Promise<void>;
}

/** Schema names: lower-case SQL identifiers. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** @internal the zod shape of `{ pool?, connectionString?, schema? }`. */
export const connectionShape = {
  pool: z
    .custom<PgPool>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as PgPool).connect === 'function' &&
        typeof (v as PgPool).query === 'function',
      { message: 'must be a pg.Pool (or implement connect() and query())' },
    )
    .optional(),
  connectionString: z.string().min(1).optional(),
  schema: z
    .string()
    .regex(SCHEMA_NAME, { message: 'must be a lower-case SQL identifier (^[a-z_][a-z0-9_]{0,62}$)' })
    .optional(),
};

/** @internal exactly one of `pool` and `connectionString` (a zod refinement). */
export function oneConnection(o: { pool?: unknown; connectionString?: unknown }): boolean {
  return (o.pool === undefined) !== (o.connectionString === undefined);
}

/** @internal the message of {@link oneConnection}. */
export const ONE_CONNECTION = { message: 'give exactly one of pool and connectionString', path: ['pool'] };

/** @internal a pool to use, and whether Writ opened it (and so ends it). */
export interface ResolvedPool {
  readonly pool: PgPool;
  readonly owned: boolean;
}

type PgModule = typeof import('pg')['default'];

/** @internal loads `pg` (an optional peer dependency) or refuses, typed. */
export async function loadPg(): Promise<PgModule> {
  try {
    return (await import('pg')).default;
  } catch (cause) {
    throw new WritError('WRIT_OPTIONS_INVALID', '@writ/postgres needs the "pg" package: npm install pg', {
      cause,
      details: { reason: 'pg_missing' },
    });
  }
}

/** @internal the pool named by the options (a small one opened for a connection string). */
export async function resolvePool(
  o: { pool?: PgPool | undefined; connectionString?: string | undefined },
  report: (error: WritError) => void,
): Promise<ResolvedPool> {
  if (o.pool !== undefined) return { pool: o.pool, owned: false };
  const pg = await loadPg();
  const pool = new pg.Pool({ connectionString: o.connectionString, max: 2, connectionTimeoutMillis: 5_000 });
  // an idle connection that drops must not crash the process
  pool.on('error', (error) => report(unavailable('an idle PostgreSQL connection failed', error)));
  return { pool: pool as unknown as PgPool, owned: true };
}

/** @internal a quoted, validated schema name. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new WritError('WRIT_OPTIONS_INVALID', `invalid schema name "${schema}"`);
  return `"${schema}"`;
}

/**
 * @internal a failure talking to PostgreSQL as `WRIT_IDENTITY_UNAVAILABLE` (revocations and leases are
 * credential state); a WritError is kept as it is. Messages never carry connection strings.
 */
export function unavailable(message: string, cause: unknown, details?: Record<string, unknown>): WritError {
  if (WritError.isInstance(cause)) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new WritError('WRIT_IDENTITY_UNAVAILABLE', `${message}: ${why}`, { cause, details });
}

/** @internal a never-throwing reporter around an `onError` option. */
export function reporter(onError: ((error: WritError) => void) | undefined): (error: WritError) => void {
  return (error) => {
    try {
      onError?.(error);
    } catch {
      // a reporting hook never breaks the caller
    }
  };
}

/**
 * @internal runs DDL once per schema under a transaction-level advisory lock (safe when many replicas
 * start at once; pooler-safe: nothing outlives the transaction). Nothing runs when every table in
 * `tables` exists already, so a runtime role without CREATE privileges starts once they do.
 */
export async function migrate(
  pool: PgPool,
  lockName: string,
  statements: readonly string[],
  tables: readonly string[],
): Promise<void> {
  const { rows } = await pool.query<{ missing: number }>(
    'SELECT count(*)::int AS missing FROM unnest($1::text[]) AS t(name) WHERE to_regclass(t.name) IS NULL',
    [tables],
  );
  if (rows[0]?.missing === 0) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw error;
  }
}

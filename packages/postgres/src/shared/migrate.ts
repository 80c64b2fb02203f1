import type { PgClientPool, PgPool } from './pg-pool.js';

/**
 * Runs idempotent DDL (`CREATE … IF NOT EXISTS`), one statement at a time (pooler-safe). Two replicas
 * starting at once can race on `IF NOT EXISTS` (PostgreSQL then reports a duplicate): retried once.
 */
export async function migrate(pool: PgPool, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    try {
      await pool.query(statement);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P07' && code !== '42710') throw error;
      await pool.query(statement);
    }
  }
}

/**
 * Runs DDL once per schema under a transaction-level advisory lock (safe when many replicas start at
 * once; pooler-safe: nothing outlives the transaction). Nothing runs when every table in `tables` exists
 * already, so a runtime role without CREATE privileges starts once they do. Used by the revocation list
 * and the task leases.
 */
export async function migrateLocked(
  pool: PgClientPool,
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

import type { PgPool } from './pg-pool.js';

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

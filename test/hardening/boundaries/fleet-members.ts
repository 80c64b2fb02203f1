// Fleet members for the fleet tests (issue 20): each a child process (fleet-member.mjs) with its own
// createWrit and file audit log, sharing the PostgreSQL stores; driven over IPC. Built packages only.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestPostgres } from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';

const MEMBER = fileURLToPath(new URL('./fleet-member.mjs', import.meta.url));
/** The store key every member signs the shared rows with (`WRIT_STORE_KEY` for the CLI). */
export const STORE_KEY = 'fleet-test-store-key-0123456789abcdef';

export interface Member {
  call<T = unknown>(op: string, input?: unknown): Promise<T>;
  readonly dir: string;
  readonly child: ChildProcess;
}

/** Forks a member named `name` (its audit log in `<root>/<name>`) and waits until it is ready. */
export async function member(name: string, db: TestPostgres, root: string): Promise<Member> {
  const dir = join(root, name);
  const child = fork(MEMBER, [], {
    env: { ...process.env, DATABASE_URL: db.connectionString(), AUDIT_DIR: dir, MEMBER: name, STORE_KEY },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
    child.on(
      'message',
      (m: { ready?: true; id?: number; ok?: boolean; value?: unknown; error?: unknown }) => {
        if (m.ready) return resolve();
        const w = waiting.get(m.id as number);
        waiting.delete(m.id as number);
        if (m.ok) w?.resolve(m.value);
        else w?.reject(Object.assign(new Error(JSON.stringify(m.error)), m.error as object));
      },
    );
  });
  return {
    dir,
    child,
    call: (op, input) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, input });
      }),
  };
}

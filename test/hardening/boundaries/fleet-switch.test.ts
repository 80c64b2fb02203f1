// Fleet mode's one switch (issue 20 item 7): `createWrit({ store: postgres(url) })` of the zero-config `writ`
// runtime, and nothing else about fleets, must turn on every shared piece — the call ledger and approvals,
// and also the revocation list every replica sees, task leases and a reaper. Two runtimes with their own
// directories (keys, logs) on one real PostgreSQL; the crash case SIGKILLs a child process mid-task.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readLines, verifyLog } from '@writ/audit';
import { WritError } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import { createInMemoryPolicy } from '@writ/core/testing';
import { postgres } from '@writ/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { attack } from './attacks.js';

const MEMBER = fileURLToPath(new URL('./fleet-switch-member.mjs', import.meta.url));
const STORE_KEY = 'fleet-switch-store-key-0123456789abcdef';

let db: TestPostgres;
let root: string;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  process.env.WRIT_STORE_KEY = STORE_KEY;
  db = await startTestPostgres();
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-switch-'));
}, 180_000);
afterAll(async () => {
  for (const undo of cleanup.reverse()) await undo().catch(() => undefined);
  delete process.env.WRIT_STORE_KEY;
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A replica: the zero-config runtime in its own directory, with `store: postgres(url)` only. */
function replica(name: string, fleet: Parameters<typeof postgres>[1] = {}) {
  const writ = createWrit({
    service: 'support',
    dir: join(root, name),
    publicDir: false,
    policy: createInMemoryPolicy({ fallback: 'allow' }),
    store: postgres(db.connectionString(), fleet),
  });
  cleanup.push(() => writ.close());
  return writ;
}

async function until(check: () => boolean | Promise<boolean>, what: string, capMs = 20_000) {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > capMs) throw new Error(`not within ${capMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function recordsOf(dir: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const line of readLines(dir)) {
    const record = JSON.parse(line.bytes.toString('utf8')) as { r?: AuditEvent };
    if (record.r !== undefined) out.push(record.r);
  }
  return out;
}

describe('fleet mode, one switch: createWrit({ store: postgres(url) })', () => {
  it(attack(
    'fleet-switch-revocation-every-replica',
    "a task's credentials, revoked by the replica that ran it, are refused by every other replica; each run was listed on a lease while it ran",
  ), async () => {
    const a = replica('a', { fleet: { reaper: false } });
    const b = replica('b', { fleet: { reaper: false } });
    const { localIdentity } = await a.ready();
    const { revocations: onB } = await b.ready();
    const seen: { jti?: string; leases?: unknown[] } = {};
    const refund = a.tool({
      name: 'refund_order',
      input: z.object({ orderId: z.string() }),
      execute: async (_args, ctx) => {
        seen.jti = ctx.attribution.credential?.jti;
        seen.leases = (
          await db.admin.query('SELECT state, credentials FROM writ.task_leases WHERE task_id = $1', [
            ctx.attribution.taskId,
          ])
        ).rows;
        return { refunded: true };
      },
    });
    const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
    await a.task({ requester: alice, agent: 'support' }, () => refund.execute({ orderId: '42' }));
    expect(seen.jti).toMatch(/.+/);
    // while it ran, the run was on a lease listing its task credential
    expect(seen.leases).toMatchObject([{ state: 'active', credentials: [{ jti: seen.jti }] }]);
    // once it ended, B (another runtime, its own keys and log) refuses that credential
    const ms = await until(() => onB?.isRevoked(seen.jti as string) === true, 'B sees the revocation');
    console.log(`one switch: a revocation made on A was seen on B after ${ms.toFixed(0)} ms`);
  }, 120_000);

  it(attack(
    'fleet-switch-crashed-replica-reaped',
    "a replica killed mid-task: another replica's reaper revokes its credentials and records task-end { abandoned } in its own log",
  ), async () => {
    const b = replica('reaper', { fleet: { reaper: { intervalMs: 200 } } });
    const { revocations: onB } = await b.ready();
    const child = spawn(process.execPath, [MEMBER], {
      env: { ...process.env, DATABASE_URL: db.connectionString(), WRIT_DIR: join(root, 'crashed') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const mid = await new Promise<{ taskId: string; taskJti: string }>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (text) => resolve(JSON.parse(text)));
      child.once('exit', (code) => reject(new Error(`the replica exited (${code}) before its tool ran`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(onB?.isRevoked(mid.taskJti)).toBe(false);
    const killedAt = performance.now();
    await until(() => onB?.isRevoked(mid.taskJti) === true, "the dead replica's task credential revoked");
    await until(
      async () =>
        (
          await db.admin.query('SELECT 1 FROM writ.task_leases WHERE task_id = $1 AND state = $2', [
            mid.taskId,
            'abandoned',
          ])
        ).rowCount === 1,
      'the lease closed as abandoned',
    );
    console.log(
      `one switch: SIGKILL → reaped by another replica in ${(performance.now() - killedAt).toFixed(0)} ms (lease ttl 1500 ms)`,
    );
    await b.flush();
    const records = await recordsOf(join(root, 'reaper', 'audit'));
    const ended = records.find((r) => r.kind === 'task-end' && r.taskId === mid.taskId);
    expect(ended).toMatchObject({ kind: 'task-end', status: 'abandoned', service: 'support' });
    expect(records.find((r) => r.kind === 'revocation' && r.taskId === mid.taskId)).toBeDefined();
    await b.close();
    expect((await verifyLog(join(root, 'reaper', 'audit'))).ok).toBe(true);
  }, 120_000);

  it('a reaper without the shared revocation list is a configuration error at start, never a silent half-fleet', async () => {
    const c = replica('c', { fleet: { revocations: false } });
    const error = await c.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WritError);
    expect((error as WritError).code).toBe('WRIT_OPTIONS_INVALID');
    expect((error as WritError).message).toMatch(/fleet\.revocations/);
  }, 60_000);
});

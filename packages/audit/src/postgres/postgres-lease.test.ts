import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WritError } from '@writ/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event } from '../__support__/log.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { startTestPostgres, type TestPostgres } from './__support__/embedded-postgres.js';
import { acquireLease, newHolder } from './postgres-lease.js';
import { verifyPostgresLog } from './postgres-log.js';
import { ensureLog } from './postgres-log-row.js';
import { migrate, tablesOf } from './postgres-schema.js';
import { createPostgresAuditSink } from './postgres-sink.js';
import { PostgresWriter } from './postgres-writer.js';

const CHILD = fileURLToPath(new URL('./__support__/lease-child.mjs', import.meta.url));

let db: TestPostgres;
let writer: string;
let keyDir: string;
const keys = generateNoteKeys('writ/audit/fleet');
const signer = createNoteSigner(keys.signerKey);

beforeAll(async () => {
  db = await startTestPostgres();
  writer = await db.createRole('writ_lease');
  keyDir = await mkdtemp(join(tmpdir(), 'writ-pg-keys-'));
});
afterAll(async () => {
  await db?.stop();
  if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
});

async function lease(schema: string, logId: string) {
  const { rows } = await db.admin.query<{ holder: string; epoch: string; size: string | null }>(
    `SELECT holder, epoch::text AS epoch, size::text AS size FROM "${schema}".leases WHERE log_id = $1`,
    [logId],
  );
  return rows[0];
}

describe('PostgreSQL writer leases', () => {
  it('admit one holder; a new take by the same holder moves the epoch on and fences its earlier writer', async () => {
    const pool = new pg.Pool({ connectionString: writer, max: 3 });
    const tables = tablesOf('lease');
    await migrate(pool, tables);
    const { log } = await ensureLog(pool, tables, 'orders', new Map(), { signer });
    const holder = newHolder();
    const first = await PostgresWriter.open(pool, tables, 'orders', holder, 60_000);
    await first.scan(100, {
      logId: 'orders',
      origin: log.origin,
      verifier: parseVerifierKey(keys.verifierKey),
    });
    expect(await lease('lease', 'orders')).toMatchObject({ holder, epoch: '1', size: '0' });
    // anyone else is refused while the lease is live
    await expect(PostgresWriter.open(pool, tables, 'orders', newHolder(), 60_000)).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'locked', logId: 'orders' },
    });
    expect(await acquireLease(pool, tables, 'orders', newHolder(), 60_000)).toBeUndefined();
    // the holder takes it again (a sink reopening after a failure): epoch 2, and epoch 1 appends nothing
    const second = await PostgresWriter.open(pool, tables, 'orders', holder, 60_000);
    expect(second.lease.epoch).toBe('2');
    const line = JSON.stringify({ i: 0, p: '', r: event(0) });
    const refused = await first.write([line], { sync: true }).catch((e: unknown) => e);
    expect(WritError.isInstance(refused, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((refused as WritError).details).toMatchObject({ reason: 'fenced', logId: 'orders', epoch: '1' });
    const { rows } = await db.admin.query('SELECT count(*)::int AS n FROM lease.records');
    expect(rows).toEqual([{ n: 0 }]);
    // a closed writer lets go of the lease at once
    second.destroy();
    first.destroy();
    const third = await PostgresWriter.open(pool, tables, 'orders', holder, 60_000);
    await third.close();
    expect(await acquireLease(pool, tables, 'orders', newHolder(), 60_000)).toMatchObject({ epoch: '4' });
    await pool.end();
  });

  it('keep a bounded pool of log slots: an instance takes a free slot, none free is refused, a closed slot is reused', async () => {
    const open = () =>
      createPostgresAuditSink({ connectionString: writer, schema: 'slots', logId: 'fn', slots: 2, signer });
    const a = await open();
    const b = await open();
    expect([a.logId, b.logId].sort()).toEqual(['fn-1', 'fn-2']);
    await expect(open()).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'no_free_slot', slots: 2 },
    });
    await a.append(event(1), { durability: 'strict' });
    await a.close?.();
    const c = await open();
    expect(c.logId).toBe(a.logId); // the freed slot, continued
    expect(c.origin).toBe(a.origin);
    expect(c.size).toBe(a.size);
    await c.append(event(2), { durability: 'strict' });
    await Promise.all([b.close?.(), c.close?.()]);
    const { rows } = await db.admin.query('SELECT count(*)::int AS n FROM slots.logs');
    expect(rows).toEqual([{ n: 2 }]);
    for (const logId of ['fn-1', 'fn-2']) {
      const result = await verifyPostgresLog(logId, {
        connectionString: writer,
        schema: 'slots',
        verifierKey: keys.verifierKey,
        deep: true,
      });
      expect(result.ok).toBe(true);
    }
  });

  it('fences a writer paused (SIGSTOP) past its lease: another instance takes its slot, and after SIGCONT its late append is refused; every log verifies', async () => {
    const leaseMs = 1_000;
    const schema = 'paused';
    // one slot held by a live writer in this process, the other by the child
    const live = await createPostgresAuditSink({
      connectionString: writer,
      schema,
      logId: 'fn',
      slots: 2,
      leaseMs,
      signer,
    });
    const child = spawn(process.execPath, [CHILD, writer, schema, 'fn', '2', String(leaseMs)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, WRIT_TEST_SIGNER_KEY: keys.signerKey },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const messages = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(String((await messages.next()).value)) as Record<string, unknown>;
    try {
      const ready = await next();
      expect(ready).toMatchObject({ ready: true, size: 5 });
      const childLog = String(ready.logId);
      expect(childLog).not.toBe(live.logId);
      const before = await lease(schema, childLog);

      child.kill('SIGSTOP');
      // wait (on the database clock) until the stopped child's lease has expired
      for (;;) {
        const { rows } = await db.admin.query<{ expired: boolean }>(
          `SELECT expires_at < now() AS expired FROM "${schema}".leases WHERE log_id = $1`,
          [childLog],
        );
        if (rows[0]?.expired === true) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const taker = await createPostgresAuditSink({
        connectionString: writer,
        schema,
        logId: 'fn',
        slots: 2,
        leaseMs: 60_000,
        signer,
      });
      expect(taker.logId).toBe(childLog);
      expect(taker.size).toBe(5); // the child's records, read back
      expect(Number((await lease(schema, childLog))?.epoch)).toBe(Number(before?.epoch) + 1);
      await taker.append(event(100), { durability: 'strict' });

      child.stdin.write('go\n');
      child.kill('SIGCONT');
      const late = await next();
      expect(late).toMatchObject({
        refused: 'WRIT_AUDIT_UNAVAILABLE',
        details: { reason: 'fenced', logId: childLog },
      });
      expect(await next()).toEqual({ closed: true });
      expect(await exited).toBe(0);

      await taker.append(event(101), { durability: 'strict' });
      await Promise.all([taker.close?.(), live.close?.()]);
      const { rows } = await db.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}".records WHERE log_id = $1 AND line LIKE '%child-5%'`,
        [childLog],
      );
      expect(rows).toEqual([{ n: 0 }]); // the late record is nowhere
      for (const logId of ['fn-1', 'fn-2']) {
        const result = await verifyPostgresLog(logId, {
          connectionString: writer,
          schema,
          verifierKey: keys.verifierKey,
          deep: true,
        });
        expect(result).toMatchObject({ ok: true });
      }
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
});

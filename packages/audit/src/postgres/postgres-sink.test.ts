import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit, WritError } from '@writ/core';
import type { AuditReceipt } from '@writ/core/plugin';
import { createInMemoryPolicy } from '@writ/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { event } from '../__support__/log.js';
import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { startTestPostgres, type TestPostgres } from './__support__/embedded-postgres.js';
import { verifyPostgresLog } from './postgres-log.js';
import { createPostgresAuditSink, type PostgresAuditSink } from './postgres-sink.js';

let db: TestPostgres;
let writer: string; // connection string of a non-superuser role
let keyDir: string;

beforeAll(async () => {
  db = await startTestPostgres();
  writer = await db.createRole('writ_writer');
  keyDir = await mkdtemp(join(tmpdir(), 'writ-pg-keys-'));
});
afterAll(async () => {
  await db?.stop();
  if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
});

async function rows(
  schema: string,
  logId: string,
): Promise<{ idx: number; line: string; leafHash: string }[]> {
  const { rows } = await db.admin.query<{ idx: string; line: string; leaf_hash: Buffer }>(
    `SELECT idx, line, leaf_hash FROM "${schema}".records WHERE log_id = $1 ORDER BY idx`,
    [logId],
  );
  return rows.map((r) => ({ idx: Number(r.idx), line: r.line, leafHash: r.leaf_hash.toString('hex') }));
}

/** Every acknowledged record is in the log exactly as acknowledged, and indexes are 0 … n-1. */
async function expectConsistent(sink: PostgresAuditSink, receipts: readonly AuditReceipt[]): Promise<void> {
  const stored = await rows(sink.schema, sink.logId);
  expect(stored.map((r) => r.idx)).toEqual(stored.map((_, i) => i));
  for (const receipt of receipts) {
    expect(receipt.log).toBe(sink.origin);
    expect(stored[receipt.index]?.leafHash).toBe(receipt.leafHash);
  }
}

describe('PostgreSQL audit sink: schema', () => {
  it('creates the tables once when several sinks start at once, and again is a no-op', async () => {
    const start = () => createPostgresAuditSink({ connectionString: writer, schema: 'mig', keyDir });
    const sinks = await Promise.all([start(), start(), start()]);
    sinks.push(await start());
    const { rows: versions } = await db.admin.query('SELECT version FROM mig.schema_version');
    expect(versions).toEqual([{ version: 2 }]);
    const { rows: tables } = await db.admin.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'mig' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'checkpoints',
      'leases',
      'logs',
      'records',
      'schema_version',
    ]);
    expect(new Set(sinks.map((s) => s.logId)).size).toBe(4);
    await Promise.all(sinks.map((s) => s.close?.()));
    const { rows: logs } = await db.admin.query('SELECT count(*)::int AS n FROM mig.logs');
    expect(logs).toEqual([{ n: 4 }]);
  });

  it('needs no DDL privileges once the tables exist (a writer role with SELECT, INSERT, UPDATE only)', async () => {
    await (await createPostgresAuditSink({ connectionString: writer, schema: 'dml', keyDir })).close?.();
    const connectionString = await db.createRole('writ_dml');
    await db.admin.query('REVOKE CREATE ON DATABASE postgres FROM writ_dml');
    await db.admin.query('GRANT USAGE ON SCHEMA dml TO writ_dml');
    await db.admin.query('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA dml TO writ_dml');
    const sink = await createPostgresAuditSink({ connectionString, schema: 'dml', keyDir });
    await sink.append(event(1), { durability: 'strict' });
    await sink.close?.();
    expect((await verifyPostgresLog(sink.logId, { connectionString, schema: 'dml' })).ok).toBe(true);
  });

  it('refuses invalid options naming them, and never echoes the password', async () => {
    await expect(
      createPostgresAuditSink({ connectionString: writer, schema: 'Bad-Name' }),
    ).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
      message: expect.stringContaining('options.schema'),
    });
    await expect(createPostgresAuditSink({})).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });
    await expect(createPostgresAuditSink({ connectionString: writer, logId: 'a b' })).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
      message: expect.stringContaining('options.logId'),
    });
    const closedPort = `postgres://writ_writer:sup3rs3cret@127.0.0.1:1/postgres`;
    const error = await createPostgresAuditSink({ connectionString: closedPort, schema: 'nowhere' }).catch(
      (e: unknown) => e,
    );
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect(JSON.stringify((error as WritError).toJSON())).not.toContain('sup3rs3cret');
  });
});

describe('PostgreSQL audit sink: writing', () => {
  it('keeps two logs written at once by two writers, each contiguous, sealed and verifiable', async () => {
    const open = () =>
      createPostgresAuditSink({ connectionString: writer, schema: 'conc', keyDir, checkpointEvery: 500 });
    const [a, b] = await Promise.all([open(), open()]);
    const fill = (sink: PostgresAuditSink, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          sink.append(event(i), { durability: i % 3 === 0 ? 'batched' : 'strict' }),
        ),
      );
    const [ra, rb] = await Promise.all([fill(a, 3000), fill(b, 2500)]);
    await Promise.all([a.close?.(), b.close?.()]);
    for (const [sink, receipts, n] of [
      [a, ra, 3000],
      [b, rb, 2500],
    ] as const) {
      await expectConsistent(sink, receipts);
      const result = await verifyPostgresLog(sink.logId, {
        connectionString: writer,
        schema: 'conc',
        verifierKey: sink.verifierKey,
        deep: true,
      });
      expect(result).toMatchObject({ ok: true, keyPinned: true, origin: sink.origin });
      expect(result.checkpoints).toBeGreaterThanOrEqual(Math.floor(n / 500));
      expect(result.records).toBe(n + result.checkpoints);
      expect(result.sealed).toBe(result.records - 1); // the close checkpoint is last
      const { rows: published } = await db.admin.query<{ size: string; note: string }>(
        'SELECT size, note FROM conc.checkpoints WHERE log_id = $1',
        [sink.logId],
      );
      const cp = openCheckpoint(published[0]?.note ?? '', [parseVerifierKey(sink.verifierKey)]);
      expect(cp.size).toBe(result.records);
      expect(Number(published[0]?.size)).toBe(result.records);
      expect(cp.rootHash.toString('base64')).toBe(result.root);
    }
  });

  it('refuses a second writer for the same log while the first is open', async () => {
    const first = await createPostgresAuditSink({
      connectionString: writer,
      schema: 'lock',
      keyDir,
      logId: 'orders',
    });
    await first.append(event(1), { durability: 'strict' });
    const second = await createPostgresAuditSink({
      connectionString: writer,
      schema: 'lock',
      keyDir,
      logId: 'orders',
    }).catch((e: unknown) => e);
    expect(WritError.isInstance(second, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((second as WritError).details).toMatchObject({ reason: 'locked' });
    // the first is unaffected, and once it is closed the log can be taken over
    await first.append(event(2), { durability: 'strict' });
    await first.close?.();
    const third = await createPostgresAuditSink({
      connectionString: writer,
      schema: 'lock',
      keyDir,
      logId: 'orders',
    });
    expect(third.size).toBe(3); // two events and the close checkpoint
    await third.close?.();
  });

  it('continues the same log after a restart, with the key kept in keyDir', async () => {
    const options = {
      connectionString: writer,
      schema: 'resume',
      keyDir,
      logId: 'support-agent',
      checkpointEvery: 25,
    };
    const first = await createPostgresAuditSink(options);
    const before = await Promise.all(
      Array.from({ length: 60 }, (_, i) => first.append(event(i), { durability: 'strict' })),
    );
    await first.close?.();
    const second = await createPostgresAuditSink(options);
    expect(second.origin).toBe(first.origin);
    expect(second.origin).toBe('writ/audit/support-agent');
    expect(second.verifierKey).toBe(first.verifierKey);
    expect(second.size).toBe(first.size);
    const after = await Promise.all(
      Array.from({ length: 60 }, (_, i) => second.append(event(100 + i), { durability: 'batched' })),
    );
    expect(after[0]?.index).toBe(first.size);
    await second.close?.();
    await expectConsistent(second, [...before, ...after]);
    const result = await verifyPostgresLog('support-agent', {
      connectionString: writer,
      schema: 'resume',
      verifierKey: first.verifierKey,
    });
    expect(result).toMatchObject({ ok: true, records: second.size });

    // another key cannot continue the log
    const stranger = createNoteSigner(generateNoteKeys('writ/audit/support-agent').signerKey);
    await expect(createPostgresAuditSink({ ...options, signer: stranger })).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'key_mismatch' },
    });
  });

  it('survives a dropped connection: refuses appends while the database is unreachable, then continues the same log', async () => {
    const role = 'writ_flaky';
    const connectionString = await db.createRole(role);
    const background: WritError[] = [];
    const sink = await createPostgresAuditSink({
      connectionString,
      schema: 'outage',
      keyDir,
      checkpointEvery: 40,
      onError: (e) => background.push(e),
    });
    const acknowledged: AuditReceipt[] = [];
    const refused: unknown[] = [];
    const settle = async (promises: Promise<AuditReceipt>[]) => {
      for (const r of await Promise.allSettled(promises)) {
        if (r.status === 'fulfilled') acknowledged.push(r.value);
        else refused.push(r.reason);
      }
    };
    const kill = () =>
      db.admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);

    // 1. appends under way when the writer's connection is cut
    let n = 0;
    const workers = Array.from({ length: 8 }, async () => {
      const mine: Promise<AuditReceipt>[] = [];
      for (let k = 0; k < 40; k++) {
        const p = sink.append(event(n++), { durability: 'strict' });
        mine.push(p);
        await p.catch(() => undefined);
      }
      return mine;
    });
    while (sink.size < 100) await new Promise((r) => setTimeout(r, 1));
    await kill();
    await settle((await Promise.all(workers)).flat());
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);

    // 2. an outage: the role may not log in and its connections are cut
    await db.admin.query(`ALTER ROLE ${role} NOLOGIN`);
    await kill();
    const during = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => sink.append(event(1000 + i), { durability: 'strict' })),
    );
    for (const r of during) {
      expect(r.status).toBe('rejected');
      expect(WritError.isInstance((r as PromiseRejectedResult).reason, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    }
    await expect(sink.checkpoint()).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });

    // 3. recovery: the same log continues
    await db.admin.query(`ALTER ROLE ${role} LOGIN`);
    const resumed = await Promise.all(
      Array.from({ length: 100 }, (_, i) => sink.append(event(2000 + i), { durability: 'strict' })),
    );
    acknowledged.push(...resumed);
    await sink.close?.();

    for (const e of refused) expect(WritError.isInstance(e, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    await expectConsistent(sink, acknowledged);
    const result = await verifyPostgresLog(sink.logId, {
      connectionString,
      schema: 'outage',
      verifierKey: sink.verifierKey,
      deep: true,
    });
    expect(result).toMatchObject({ ok: true, records: sink.size });
    expect(result.checkpoints).toBeGreaterThanOrEqual(3);
    // one checkpoint per size, and the published one covers the whole log
    const sizes = (await rows('outage', sink.logId))
      .map((r) => JSON.parse(r.line) as { r: { kind: string; note?: string } })
      .filter((e) => e.r.kind === 'checkpoint')
      .map((e) => openCheckpoint(e.r.note ?? '', [parseVerifierKey(sink.verifierKey)]).size);
    expect(new Set(sizes).size).toBe(sizes.length);
  });

  it('takes its own log back after its writer failed while the server still holds the lease (half-open connection)', async () => {
    const sink = await createPostgresAuditSink({ connectionString: writer, schema: 'takeover', keyDir });
    await sink.append(event(1), { durability: 'strict' });
    const lease = async () =>
      (
        await db.admin.query<{ epoch: string; holder: string }>(
          'SELECT epoch::text AS epoch, holder FROM takeover.leases WHERE log_id = $1',
          [sink.logId],
        )
      ).rows[0];
    const first = await lease();
    expect(first?.epoch).toBe('1');
    // the writer's connections are cut: its lease is still live, but its own sink takes it again
    await db.admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'writ_writer' AND pid <> pg_backend_pid()`,
    );
    await sink.append(event(2), { durability: 'strict' }).catch(() => undefined);
    await sink.append(event(3), { durability: 'strict' });
    // the lease is still this sink's: re-taken (a new epoch) when an append failed on a cut connection, or
    // kept (the pool reconnected before any append failed) — which one depends on when the pool noticed
    const after = await lease();
    expect(after?.holder).toBe(first?.holder);
    expect(Number(after?.epoch)).toBeGreaterThanOrEqual(1);
    // anyone else is refused meanwhile
    await expect(
      createPostgresAuditSink({ connectionString: writer, schema: 'takeover', keyDir, logId: sink.logId }),
    ).rejects.toMatchObject({ details: { reason: 'locked' } });
    await sink.close?.();
    expect((await verifyPostgresLog(sink.logId, { connectionString: writer, schema: 'takeover' })).ok).toBe(
      true,
    );
  });

  it('through the pipeline: the decision record is committed before the tool runs, the outcome after', async () => {
    const pool = new pg.Pool({ connectionString: writer, max: 2 });
    const audit = await createPostgresAuditSink({ pool, schema: 'e2e', keyDir });
    const writ = createWrit({ audit, policy: createInMemoryPolicy({ fallback: 'allow' }) });
    const committed = async () =>
      (await rows('e2e', audit.logId)).map((r) => (JSON.parse(r.line) as { r: { kind: string } }).r.kind);
    let seen: string[] = [];
    const probe = writ.tool({
      name: 'probe',
      input: z.object({}),
      execute: async () => {
        seen = await committed(); // read from another connection: only committed rows are visible
        return 'ok';
      },
    });
    await writ.task({ agent: 'support' }, () => probe.execute({}));
    expect(seen).toEqual(['task-start', 'decision']);
    expect(await committed()).toEqual(['task-start', 'decision', 'outcome', 'task-end']);
    await writ.close();
    expect(await committed()).toEqual(['task-start', 'decision', 'outcome', 'task-end', 'checkpoint']);
    const result = await verifyPostgresLog(audit.logId, {
      pool,
      schema: 'e2e',
      verifierKey: audit.verifierKey,
      deep: true,
    });
    expect(result).toMatchObject({ ok: true, records: 5, checkpoints: 1 });
    await pool.end(); // the pool is the caller's: the sink left it open
  });
});

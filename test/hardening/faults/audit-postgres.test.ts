// Issue 9 item 3, PostgreSQL log: the writer's connection is cut (pg_terminate_backend from a second, superuser
// connection) under a zero-config Writ whose audit sink is createPostgresAuditSink on a real, embedded
// PostgreSQL. packages/audit/src/postgres/postgres-sink.test.ts proves the sink alone survives a dropped
// connection; this proves the pipeline on top of it: a call whose decision record was being committed when
// the connection died does not run, calls are refused while the database is unreachable, and once it is
// back the same sink (and a restarted one) continues the same log, consistent with an earlier checkpoint.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPostgresAuditSink,
  type PostgresAuditSink,
  readPostgresLog,
  verifyPostgresLog,
} from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WritError } from 'writ';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import {
  expectEveryRunRecorded,
  expectRan,
  type IndexedRecord,
  type Settled,
  type StoredRecord,
  settle,
  startHarness,
} from './support.js';

let db: TestPostgres;
let keyDir: string;
let dir: string;
beforeAll(async () => {
  db = await startTestPostgres();
  keyDir = await mkdtemp(join(tmpdir(), 'writ-faults-pg-keys-'));
  dir = await mkdtemp(join(tmpdir(), 'writ-faults-pg-'));
});
afterAll(async () => {
  await db?.stop();
  for (const d of [keyDir, dir]) if (d !== undefined) await rm(d, { recursive: true, force: true });
});

async function pgRecords(sink: PostgresAuditSink): Promise<IndexedRecord[]> {
  const out: IndexedRecord[] = [];
  for await (const line of readPostgresLog(sink.logId, { pool: db.admin, schema: sink.schema })) {
    const envelope = JSON.parse(line.bytes.toString()) as { i: number; r: StoredRecord };
    out.push({ index: envelope.i, r: envelope.r });
  }
  return out;
}

const verifyPg = (sink: PostgresAuditSink, checkpoint?: string) =>
  verifyPostgresLog(sink.logId, {
    pool: db.admin,
    schema: sink.schema,
    verifierKey: sink.verifierKey,
    deep: true,
    ...(checkpoint === undefined ? {} : { checkpoint }),
  });

/** A zero-config Writ (local authority, Cedar) whose audit sink is PostgreSQL, as role `role` (schema `role`). */
async function pgWrit(role: string, connectionString: string, logId?: string) {
  const reported: WritError[] = [];
  const sink = await createPostgresAuditSink({
    connectionString,
    schema: role,
    keyDir,
    ...(logId === undefined ? {} : { logId }),
    onError: (e) => reported.push(e),
  });
  const h = await startHarness({
    dir: join(dir, role),
    audit: sink,
    timeouts: { auditMs: 5_000 },
    readRecords: () => pgRecords(sink),
  });
  return { sink, h, reported };
}

const terminate = (role: string) =>
  db.admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);

async function waitForLockWait(role: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    const { rows } = await db.admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'",
      [role],
    );
    if (Number(rows[0]?.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no backend of ${role} ever waited on the table lock`);
}

const isAuditUnavailable = (s: Settled) => !s.ok && WritError.isInstance(s.error, 'WRIT_AUDIT_UNAVAILABLE');

describe('PostgreSQL audit faults under zero-config createWrit (embedded PostgreSQL)', () => {
  it('the connection dies while a decision record is being committed: that call does not run; calls are refused while the role cannot log in; then the same log continues', async () => {
    const role = 'writ_faults_inflight';
    const { sink, h } = await pgWrit(role, await db.createRole(role));
    await expectRan(h, 'pg-before', await h.call('pg-before'));
    const witnessed = await sink.checkpoint();

    const during: [string, Settled][] = [];
    await h.task(async () => {
      // the task's start record is written with its next record or on the next turn of the event loop:
      // write it now, so the lock below holds the decision (a start caught by it is the next test)
      expect(sink.flush).toBeTypeOf('function');
      await sink.flush?.();
      // hold the records table so the decision INSERT blocks mid-transaction, then cut the connection
      const blocker = await db.admin.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(`LOCK TABLE ${sink.schema}.records IN SHARE MODE`);
        const inflight = h.callInTask('pg-inflight');
        await waitForLockWait(role);
        await db.admin.query(`ALTER ROLE ${role} NOLOGIN`);
        await terminate(role);
        await blocker.query('COMMIT');
        during.push(['pg-inflight', await inflight]);
      } finally {
        blocker.release();
      }
      // the database is there but the writer cannot log in: every call is refused
      for (let i = 0; i < 3; i++) during.push([`pg-down-${i}`, await h.callInTask(`pg-down-${i}`)]);
    });
    for (let i = 0; i < 2; i++) during.push([`pg-down-task-${i}`, await h.call(`pg-down-task-${i}`)]);
    for (const [id, outcome] of during) {
      expect(isAuditUnavailable(outcome), `${id}: ${(outcome as { error?: Error }).error?.message}`).toBe(
        true,
      );
      expect(h.ran).not.toContain(id);
    }

    await db.admin.query(`ALTER ROLE ${role} LOGIN`);
    for (const id of ['pg-after-1', 'pg-after-2']) await expectRan(h, id, await h.call(id));
    const records = await h.records();
    // the aborted transaction left nothing behind for the in-flight call
    expect(records.filter((e) => e.r.call?.resource?.id === 'pg-inflight')).toEqual([]);
    expect(records.map((e) => e.index)).toEqual(records.map((_, i) => i));
    expectEveryRunRecorded(h.ranCalls, records);
    const beforeRestart = await sink.checkpoint();
    await h.writ.close();
    expect(await verifyPg(sink, witnessed)).toMatchObject({ ok: true, origin: sink.origin, keyPinned: true });

    // a restarted writer (same logId, key from keyDir) continues the same log
    const again = await pgWrit(role, db.connectionString(role), sink.logId);
    await expectRan(again.h, 'pg-restarted', await again.h.call('pg-restarted'));
    await again.h.writ.close();
    expect(again.sink.origin).toBe(sink.origin);
    expect(await verifyPg(again.sink, beforeRestart)).toMatchObject({ ok: true });
    const all = await again.h.records();
    expect(all.slice(0, records.length)).toEqual(records);
    expectEveryRunRecorded([...h.ranCalls, ...again.h.ranCalls], all);
  });

  it('the connection dies while a task start record is being committed with its first decision: no call runs, the task returns no result, then the same log continues', async () => {
    const role = 'writ_faults_start';
    const { sink, h } = await pgWrit(role, await db.createRole(role));
    await expectRan(h, 'start-before', await h.call('start-before'));
    const witnessed = await sink.checkpoint();
    const before = await h.records();

    let inTask: Settled | undefined;
    let task: Settled;
    // hold the records table before the task starts, so its start record blocks, then cut the connection
    const blocker = await db.admin.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE ${sink.schema}.records IN SHARE MODE`);
      const pending = settle(
        h.task(async () => {
          inTask = await h.callInTask('start-inflight');
          return 'the task result';
        }),
      );
      await waitForLockWait(role);
      await terminate(role);
      await blocker.query('COMMIT');
      task = await pending;
    } finally {
      blocker.release();
    }
    // the call inside was refused and did not run; the task's result did not leave the process
    expect(inTask !== undefined && isAuditUnavailable(inTask), String(inTask)).toBe(true);
    expect(h.ran).not.toContain('start-inflight');
    expect(isAuditUnavailable(task), `${(task as { error?: Error }).error?.message}`).toBe(true);

    await expectRan(h, 'start-after', await h.call('start-after'));
    const records = await h.records();
    // the aborted transaction left no record of the lost task's call
    expect(records.filter((e) => e.r.call?.resource?.id === 'start-inflight')).toEqual([]);
    expect(records.slice(0, before.length)).toEqual(before);
    // the lost start was written again before the task's other records; its end says the result was withheld
    const lost = records.slice(before.length).filter((e) => e.r.taskId !== undefined);
    const lostTask = lost[0]?.r.taskId;
    const ofLost = lost.filter((e) => e.r.taskId === lostTask).map((e) => e.r);
    expect(ofLost.map((r) => r.kind)).toEqual(['task-start', 'outcome', 'task-end']);
    expect(ofLost[1]).toMatchObject({ outcome: { status: 'refused', errorCode: 'WRIT_AUDIT_UNAVAILABLE' } });
    expect(ofLost[2]).toMatchObject({ status: 'error', errorCode: 'WRIT_AUDIT_UNAVAILABLE' });
    expect(records.map((e) => e.index)).toEqual(records.map((_, i) => i));
    expectEveryRunRecorded(h.ranCalls, records);
    await h.writ.close();
    expect(await verifyPg(sink, witnessed)).toMatchObject({ ok: true, origin: sink.origin, keyPinned: true });
  });

  it('an idle connection killed between calls of one task: the next call runs or is refused (never runs unrecorded); the one after runs, same log', async () => {
    const role = 'writ_faults_idle';
    const { sink, h } = await pgWrit(role, await db.createRole(role));
    const witnessed = await sink.checkpoint();
    const outcomes = await h.task(async () => {
      const first = await h.callInTask('idle-1');
      await terminate(role);
      // whether the sink has seen the connection end before the next INSERT is a race: either it
      // reconnects first, or the INSERT fails and the call is refused
      const second = await h.callInTask('idle-2');
      return [first, second, await h.callInTask('idle-3')] as const;
    });
    await expectRan(h, 'idle-1', outcomes[0]);
    if (outcomes[1].ok) await expectRan(h, 'idle-2', outcomes[1]);
    else {
      expect(isAuditUnavailable(outcomes[1])).toBe(true);
      expect(h.ran).not.toContain('idle-2');
    }
    await expectRan(h, 'idle-3', outcomes[2]);
    await h.writ.close();
    expect(await verifyPg(sink, witnessed)).toMatchObject({ ok: true });
    expectEveryRunRecorded(h.ranCalls, await h.records());
  });

  it('connections cut at random moments under 12 concurrent workers (48 tasks of 3 calls): every run has its decision record, every refusal is WRIT_AUDIT_UNAVAILABLE, the log verifies', async () => {
    const role = 'writ_faults_load';
    const { sink, h } = await pgWrit(role, await db.createRole(role));
    const witnessed = await sink.checkpoint();
    const outcomes: [string, Settled][] = [];
    let stop = false;
    const killer = (async () => {
      let kills = 0;
      while (!stop) {
        await new Promise((resolve) => setTimeout(resolve, 15 + Math.floor(Math.random() * 30)));
        await terminate(role);
        kills++;
      }
      return kills;
    })();
    const taskRefusals: unknown[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, w) => {
        for (let t = 0; t < 4; t++) {
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40)));
          await h
            .task(async () => {
              for (let k = 0; k < 3; k++) {
                const id = `load-${w}-${t}-${k}`;
                outcomes.push([id, await h.callInTask(id)]);
              }
            })
            .catch((error: unknown) => taskRefusals.push(error));
        }
      }),
    );
    stop = true;
    const kills = await killer;
    expect(kills).toBeGreaterThan(0);
    // a task refused at start (its task-start record was not committed) never ran its body
    for (const error of taskRefusals)
      expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    for (const [id, outcome] of outcomes) {
      if (outcome.ok) expect(h.ran).toContain(id);
      else {
        expect(isAuditUnavailable(outcome), `${id}: ${(outcome as { error?: Error }).error?.message}`).toBe(
          true,
        );
        expect(h.ran).not.toContain(id);
      }
    }
    await expectRan(h, 'load-after', await h.call('load-after'));
    await h.writ.close();
    const records = await h.records();
    expect(expectEveryRunRecorded(h.ranCalls, records)).toBe(h.ran.length);
    expect(await verifyPg(sink, witnessed)).toMatchObject({ ok: true, records: records.length });
  });
});

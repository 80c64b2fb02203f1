// Fleet mode across processes (issue 20 items 1, 2): two child processes, each with its own createWrit and
// its own file audit log, sharing the call ledger and the approvals in one real PostgreSQL. What runs is
// counted in the database (one row per execution), so "exactly once" is measured across both processes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { attack } from './attacks.js';
import { auditRecords, kindsOfCall, type Member, member, stopMembers } from './fleet-members.js';

let db: TestPostgres;
let root: string;
let a: Member;
let b: Member;
const executions = async (call: string) =>
  (await db.admin.query('SELECT member FROM public.executions WHERE call = $1', [call])).rows.map(
    (r) => r.member as string,
  );

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (tool text, call text, member text)');
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-'));
  [a, b] = await Promise.all([member('a', db, root), member('b', db, root)]);
}, 180_000);
afterAll(async () => {
  await stopMembers(a, b);
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

type Check = { effect: string; bindingHash: string; expiresAt: number; taskId: string };
type Run = { ok: boolean; value?: unknown; code?: string; details?: Record<string, unknown> };

describe('fleet mode: two processes, one PostgreSQL', () => {
  it(attack(
    'fleet-approval-across-processes',
    'check on A, the approval answered from B, run on B: one execution, every record in a log that verifies',
  ), async () => {
    const args = { call: 'refund-1', amount: 30 };
    const checked = await a.call<Check>('check', { tool: 'refund_order', callId: 'call_1', args });
    expect(checked.effect).toBe('approval_required');
    // B's queue lists it; B answers it
    const queue = await b.call<{ bindingHash: string; requester: { id: string } }[]>('list');
    expect(queue).toMatchObject([
      { bindingHash: checked.bindingHash, requester: { id: 'alice@example.com' } },
    ]);
    expect(await b.call('answer', { bindingHash: checked.bindingHash, approved: true })).toMatchObject({
      status: 'answered',
    });
    const ran = await b.call<Run>('run', {
      taskId: checked.taskId,
      tool: 'refund_order',
      callId: 'call_1',
      args,
    });
    expect(ran).toMatchObject({ ok: true, value: { done: 'refund_order', by: 'b' } });
    // A runs the same call again: never a second execution (the value stayed in B: capture is off)
    const again = await a.call<Run>('run', {
      taskId: checked.taskId,
      tool: 'refund_order',
      callId: 'call_1',
      args,
    });
    expect(again).toMatchObject({ ok: false, code: 'WRIT_ALREADY_EXECUTED' });
    expect(again.details?.resultDigest).toMatch(/^sha256:/);
    expect(await executions('refund-1')).toEqual(['b']);
  }, 120_000);

  it(attack(
    'fleet-concurrent-claims',
    'the same call id run at once on A and B: exactly one execution',
  ), async () => {
    const args = { call: 'credit-1', amount: 5, delayMs: 300 };
    // one task (a resumed conversation) whose call reaches both processes at once
    const taskId = 'task-fleet-credit';
    const runs = await Promise.all(
      [a, b, a, b].map((m) => m.call<Run>('run', { taskId, tool: 'issue_credit', callId: 'call_2', args })),
    );
    expect(await executions('credit-1')).toHaveLength(1);
    // the claimant in the process that ran it gets the value; the others the typed refusal with the digest
    expect(runs.filter((r) => r.ok)).not.toHaveLength(0);
    for (const r of runs.filter((x) => !x.ok)) expect(r.code).toBe('WRIT_ALREADY_EXECUTED');
  }, 120_000);

  it(attack(
    'fleet-answer-after-expiry',
    'an answer given after the approval expired is refused and the call never runs under it',
  ), async () => {
    const args = { call: 'refund-late', amount: 40 };
    const checked = await a.call<Check>('check', { tool: 'refund_order', callId: 'call_3', args });
    await b.call('clock', { offsetMs: 120_000 });
    try {
      expect(await b.call('answer', { bindingHash: checked.bindingHash, approved: true })).toEqual({
        status: 'not_pending',
      });
      const ran = await b.call<Run>('run', {
        taskId: checked.taskId,
        tool: 'refund_order',
        callId: 'call_3',
        args,
      });
      expect(ran.ok).toBe(false);
      expect(['WRIT_APPROVAL_PENDING', 'WRIT_APPROVAL_REJECTED']).toContain(ran.code);
    } finally {
      await b.call('clock', { offsetMs: 0 });
    }
    expect(await executions('refund-late')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-ledger-row-edited',
    'a decision edited in the call ledger table is refused (typed, recorded), never run',
  ), async () => {
    const args = { call: 'refund-forged', amount: 900 };
    const checked = await a.call<Check>('check', { tool: 'refund_order', callId: 'call_4', args });
    expect(checked.effect).toBe('approval_required');
    // someone with write access to the table turns "approval_required" into "allow"
    const edited = await db.admin.query(
      `UPDATE writ.call_ledger SET entry = replace(entry, '"approval_required"', '"allow"') WHERE call_id = 'call_4'`,
    );
    expect(edited.rowCount).toBe(1);
    const ran = await b.call<Run>('run', {
      taskId: checked.taskId,
      tool: 'refund_order',
      callId: 'call_4',
      args,
    });
    expect(ran).toMatchObject({ ok: false, code: 'WRIT_STORE_TAMPERED' });
    expect(await executions('refund-forged')).toEqual([]);
  }, 120_000);

  it('every record is in a log that verifies: asked in A, answered and run in B', async () => {
    await a.call('close');
    await b.call('close');
    type Rec = { kind: string; call?: { id: string }; refusal?: { code: string } };
    const records = (dir: string) => auditRecords<Rec>(dir);
    const ofCall = kindsOfCall;
    const inA = await records(a.dir);
    const inB = await records(b.dir);
    expect(ofCall(inA, 'call_1')).toEqual(['approval-requested', 'outcome']);
    expect(ofCall(inB, 'call_1')).toEqual(['approval', 'decision', 'outcome']);
    // the forged row: refused in B's log with the store's code
    expect(inB.find((r) => r.kind === 'decision' && r.call?.id === 'call_4')?.refusal?.code).toBe(
      'WRIT_STORE_TAMPERED',
    );
    for (const dir of [a.dir, b.dir]) expect((await verifyLog(dir)).ok, dir).toBe(true);
  }, 120_000);
});

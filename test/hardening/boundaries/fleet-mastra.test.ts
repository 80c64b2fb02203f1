// Fleet mode for Mastra (issue 20 item 2, "each adapter's suspend path"): two processes, each with its own
// createWrit and its own Mastra app, sharing Writ's call ledger and approvals AND Mastra's storage (run
// snapshots, through @mastra/pg) in one real PostgreSQL. A Writ approval is Mastra's native suspend: the
// run suspends in A (the snapshot persisted by Mastra), the human's answer resumes it in B (Mastra's
// approveToolCall / declineToolCall, the real agent loop with Mastra's scripted model; and a workflow step,
// resumed with run.resume): approved, it runs
// once, in B; declined, it never runs and the refusal is recorded. Where Mastra offers no suspend, the
// tool gets the typed WRIT_APPROVAL_PENDING refusal and the same call runs in any process once answered.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyLog } from '@writ/audit';
import type { WritApprovalRequest } from '@writ/mastra';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { readRecords } from '../../../packages/mcp/src/__support__/sides.js';
import { attack } from './attacks.js';
import { type FleetMember, forkMember, stopMembers } from './fleet-members.js';

const MEMBER = fileURLToPath(new URL('./fleet-mastra-member.mjs', import.meta.url));
const STORE_KEY = 'fleet-mastra-test-store-key-0123456789abcdef';

type Process = FleetMember & { readonly dir: string };
interface Drained {
  request?: WritApprovalRequest;
  results: unknown[];
  errors: string[];
  text: string;
  runId: string;
}
type Direct = {
  ok: boolean;
  value?: unknown;
  taskId?: string;
  code?: string;
  details?: Record<string, unknown>;
};

let db: TestPostgres;
let root: string;
let a: Process;
let b: Process;
let console_: ReturnType<typeof createPostgresStores>;

const executions = async (orderId: string) =>
  (await db.admin.query('SELECT member FROM public.executions WHERE call = $1', [orderId])).rows.map(
    (r) => r.member as string,
  );

async function member(name: string): Promise<Process> {
  const dir = join(root, name);
  const m = await forkMember(MEMBER, name, {
    DATABASE_URL: db.connectionString(),
    WRIT_DIR: dir,
    MEMBER: name,
    STORE_KEY,
  });
  return { ...m, dir };
}

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (tool text, call text, member text)');
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-mastra-'));
  // one after the other: each creates Mastra's tables on first use
  a = await member('a');
  b = await member('b');
  console_ = createPostgresStores({
    connectionString: db.connectionString(),
    signer: hmacRowSigner(STORE_KEY),
  });
}, 180_000);

afterAll(async () => {
  await stopMembers(a, b);
  await console_?.close();
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('fleet mode, Mastra: suspend in one process, resume in another (Mastra storage: @mastra/pg on the same PostgreSQL)', () => {
  it(attack(
    'fleet-mastra-suspend-across-processes',
    'suspended in A (Mastra snapshot in @mastra/pg), approved with approveToolCall in B: runs once, in B',
  ), async () => {
    const asked = await a.call<Drained>('ask', {
      thread: 't-1',
      callId: 'call-refund-1',
      orderId: 'o-1',
      amount: 30,
    });
    expect(asked.request).toMatchObject({
      type: 'writ.approval_request',
      tool: 'refund_order',
      args: { orderId: 'o-1', amount: 30 },
    });
    expect(await executions('o-1')).toEqual([]);
    // the approval is open in the shared store: a console sees it
    const queue = await console_.approvals.list();
    expect(queue.map((p) => p.bindingHash)).toContain(asked.request?.bindingHash);
    const answered = await b.call<Drained>('answer', {
      thread: 't-1',
      taskId: asked.request?.taskId,
      runId: asked.runId,
      callId: 'call-refund-1',
      approved: true,
    });
    expect(answered.errors).toEqual([]);
    expect(answered.results).toEqual([{ orderId: 'o-1', refunded: 30, by: 'b' }]);
    expect(answered.text).toBe('Refunded.');
    expect(await executions('o-1')).toEqual(['b']);
    // the same resume again, in A this time: Mastra has nothing left to resume, Writ nothing to run
    await a
      .call('answer', {
        thread: 't-1',
        taskId: asked.request?.taskId,
        runId: asked.runId,
        callId: 'call-refund-1',
        approved: true,
      })
      .catch(() => undefined);
    expect(await executions('o-1')).toEqual(['b']);
  }, 120_000);

  it(attack(
    'fleet-mastra-suspend-across-processes',
    'suspended in A, declined with declineToolCall in B: never runs, the refusal recorded in B',
  ), async () => {
    const asked = await a.call<Drained>('ask', {
      thread: 't-2',
      callId: 'call-refund-2',
      orderId: 'o-2',
      amount: 900,
    });
    expect(asked.request?.tool).toBe('refund_order');
    const answered = await b.call<Drained>('answer', {
      thread: 't-2',
      taskId: asked.request?.taskId,
      runId: asked.runId,
      callId: 'call-refund-2',
      approved: false,
    });
    expect(answered.results).toEqual([]);
    expect(await executions('o-2')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-mastra-suspend-across-processes',
    'no Mastra suspend (a direct call): WRIT_APPROVAL_PENDING in A, answered at a console, the same call runs once in B',
  ), async () => {
    const pending = await a.call<Direct>('direct', { callId: 'direct-3', orderId: 'o-3', amount: 12 });
    expect(pending).toMatchObject({ ok: false, code: 'WRIT_APPROVAL_PENDING' });
    const bindingHash = pending.details?.bindingHash as string;
    expect(bindingHash).toMatch(/^sha256:/);
    expect(pending.details?.expiresAt).toBeGreaterThan(Date.now());
    const taskId = pending.details?.taskId as string;
    expect(await executions('o-3')).toEqual([]);
    const answer = await console_.approvals.answer(bindingHash, {
      approved: true,
      approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
      answeredAt: Date.now(),
    });
    expect(answer.status).toBe('answered');
    const ran = await b.call<Direct>('direct', { taskId, callId: 'direct-3', orderId: 'o-3', amount: 12 });
    expect(ran).toMatchObject({ ok: true, value: { orderId: 'o-3', refunded: 12, by: 'b' } });
    const again = await a.call<Direct>('direct', { taskId, callId: 'direct-3', orderId: 'o-3', amount: 12 });
    expect(again.ok).toBe(false);
    expect(await executions('o-3')).toEqual(['b']);
  }, 120_000);

  it(attack(
    'fleet-mastra-suspend-across-processes',
    'a workflow step suspended in A (workflow snapshot in @mastra/pg), resumed approved in B: runs once, in B; declined: never runs',
  ), async () => {
    type Started = { runId: string; status: string; request?: WritApprovalRequest };
    type Resumed = { status: string; result?: unknown; error?: string };
    const started = await a.call<Started>('startWorkflow', { orderId: 'o-4', amount: 7 });
    expect(started.status).toBe('suspended');
    expect(started.request).toMatchObject({
      type: 'writ.approval_request',
      args: { orderId: 'o-4', amount: 7 },
    });
    const resumed = await b.call<Resumed>('resumeWorkflow', {
      runId: started.runId,
      taskId: started.request?.taskId,
      approved: true,
    });
    expect(resumed).toMatchObject({ status: 'success', result: { orderId: 'o-4', refunded: 7, by: 'b' } });
    expect(await executions('o-4')).toEqual(['b']);

    const declined = await a.call<Started>('startWorkflow', { orderId: 'o-5', amount: 8 });
    const refused = await b.call<Resumed>('resumeWorkflow', {
      runId: declined.runId,
      taskId: declined.request?.taskId,
      approved: false,
    });
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain('WRIT_APPROVAL_REJECTED');
    expect(await executions('o-5')).toEqual([]);
  }, 120_000);

  it('every record is in a log that verifies: asked in A, answered and run (or refused) in B', async () => {
    await Promise.all([a.call('close'), b.call('close')]);
    const inA = await readRecords(join(a.dir, 'audit'));
    const inB = await readRecords(join(b.dir, 'audit'));
    const kinds = (records: typeof inA, id: string) =>
      records.filter((r) => r.call?.id === id).map((r) => r.kind);
    expect(kinds(inA, 'call-refund-1')).toEqual(['approval-requested']);
    expect(kinds(inB, 'call-refund-1')).toEqual(['approval', 'decision', 'outcome']);
    expect(kinds(inA, 'call-refund-2')).toEqual(['approval-requested']);
    expect(kinds(inB, 'call-refund-2')).toEqual(['approval', 'decision', 'outcome']);
    const declined = inB.find((r) => r.kind === 'decision' && r.call.id === 'call-refund-2');
    expect(declined?.refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
    for (const dir of [a.dir, b.dir]) expect((await verifyLog(join(dir, 'audit'))).ok, dir).toBe(true);
  }, 120_000);
});

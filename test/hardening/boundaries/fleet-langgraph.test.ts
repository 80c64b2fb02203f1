// Fleet mode through a real LangGraph loop (issue 20): replicas in child processes, each with its own
// createWrit and file audit log, sharing Writ's stores (@writ/postgres) and LangGraph's checkpoints
// (PostgresSaver from @langchain/langgraph-checkpoint-postgres) in one embedded PostgreSQL. A graph pauses
// with interrupt() for a Writ approval on one replica; the resume (Command({ resume })) is served by
// another. What runs is counted in the database (one row per execution, with the replica that ran it).
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { verifyLog } from '@writ/audit';
import type { WritApprovalRequest } from '@writ/langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { attack } from './attacks.js';
import { auditRecords, type FleetMember, forkMember, kindsOfCall } from './fleet-members.js';

const MEMBER = fileURLToPath(new URL('./fleet-langgraph-member.mjs', import.meta.url));
const STORE_KEY = 'fleet-test-store-key-0123456789abcdef';
const ALICE = 'token-alice';
const BOB = 'token-bob';

interface Replica extends FleetMember {
  readonly dir: string;
}
interface Turn {
  taskId: string;
  interrupts: WritApprovalRequest[];
  tools: {
    id: string;
    status: string;
    content: string;
    artifact: { writ?: Record<string, unknown> } | null;
  }[];
  last: string | null;
}
type Script = ({ tools: { name: string; args: unknown; id: string }[] } | { text: string })[];

let db: TestPostgres;
let root: string;
let a: Replica;
let b: Replica;
const replicas: Replica[] = [];

async function replica(name: string): Promise<Replica> {
  const dir = join(root, name);
  const env = { DATABASE_URL: db.connectionString(), AUDIT_DIR: dir, MEMBER: name, STORE_KEY };
  const started = { ...(await forkMember(MEMBER, name, env)), dir };
  replicas.push(started);
  return started;
}
const executions = async (orderId: string) =>
  (
    await db.admin.query('SELECT tool, member FROM public.executions WHERE call = $1 ORDER BY tool', [
      orderId,
    ])
  ).rows.map((r) => `${r.tool}@${r.member}`);
/** A user's first request: the model calls tools; the graph pauses for approval. */
const ask = (on: Replica, threadId: string, script: Script, requester = ALICE) =>
  on.call<Turn>('invoke', { requester, threadId, script, message: 'Refund order 42' });
/** The request carrying the approver's answer, in the task that asked (any replica). */
const answer = (
  on: Replica,
  threadId: string,
  taskId: string | undefined,
  resume: unknown,
  requester = ALICE,
) => on.call<Turn>('invoke', { requester, taskId, threadId, resume, script: [{ text: 'Done.' }] });
const refund = (orderId: string) => ({
  name: 'refund_order',
  args: { orderId, amount: 30 },
  id: `call_refund_${orderId}`,
});

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (tool text, call text, member text)');
  // LangGraph's checkpoint tables, once, before the replicas start
  const saver = PostgresSaver.fromConnString(db.connectionString());
  await saver.setup();
  await saver.end();
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-langgraph-'));
  [a, b] = await Promise.all([replica('a'), replica('b')]);
}, 180_000);
afterAll(async () => {
  const alive = replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
  await Promise.all(alive.map((r) => r.call('close').catch(() => undefined)));
  for (const r of replicas) r.child.kill();
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('LangGraph on two replicas: interrupt() on one, Command({ resume }) on the other', () => {
  it('the approval asked on A is answered on B: the tool runs once, in B; the interrupted node re-run on B does not run again what already ran in A', async () => {
    // one model turn, two tool calls: the lookup runs at once (allowed), the refund asks for approval
    const lookup = { name: 'lookup_order', args: { orderId: '42' }, id: 'call_lookup_42' };
    const asked = await ask(a, 'thread-42', [{ tools: [lookup, refund('42')] }]);
    expect(asked.interrupts).toMatchObject([
      { tool: 'refund_order', toolCallId: 'call_refund_42', args: { orderId: '42', amount: 30 } },
    ]);
    const [request] = asked.interrupts;
    expect(await executions('42')).toEqual(['lookup_order@a']);

    // the answer arrives at B: LangGraph re-runs the tools node from its start (it was interrupted)
    const started = performance.now();
    const resumed = await answer(b, 'thread-42', request?.taskId, {
      approved: true,
      approver: { id: 'maria@example.com' },
      toolCallId: request?.toolCallId,
    });
    console.info(
      `LangGraph resume served by another replica: ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(resumed.interrupts).toEqual([]);
    expect(await executions('42')).toEqual(['lookup_order@a', 'refund_order@b']);
    const byId = Object.fromEntries(resumed.tools.map((t) => [t.id, t]));
    expect(byId.call_refund_42).toMatchObject({
      status: 'success',
      content: 'refund_order done for order 42 by b',
    });
    // the lookup ran in A and its result stayed there (capture is off): B says so, with the digest
    expect(byId.call_lookup_42?.status).toBe('success');
    expect(byId.call_lookup_42?.content).toMatch(
      /^Writ \(WRIT_ALREADY_EXECUTED\): .*It was not run again\.$/,
    );
    expect(byId.call_lookup_42?.artifact?.writ).toMatchObject({
      code: 'WRIT_ALREADY_EXECUTED',
      resultDigest: expect.stringMatching(/^sha256:/),
    });
    expect(resumed.last).toBe('Done.');
  }, 120_000);

  it('the same through createAgent + writMiddleware: asked on A, approved on B, run once in B', async () => {
    const asked = await a.call<Turn>('invoke', {
      kind: 'agent',
      requester: ALICE,
      threadId: 'thread-46',
      script: [{ tools: [refund('46')] }],
      message: 'Refund order 46',
    });
    const [request] = asked.interrupts;
    expect(request).toMatchObject({ tool: 'refund_order', toolCallId: 'call_refund_46' });
    const resumed = await b.call<Turn>('invoke', {
      kind: 'agent',
      requester: ALICE,
      taskId: request?.taskId,
      threadId: 'thread-46',
      resume: { approved: true, toolCallId: request?.toolCallId },
      script: [{ text: 'Done.' }],
    });
    expect(resumed.tools).toMatchObject([
      { id: 'call_refund_46', status: 'success', content: 'refund_order done for order 46 by b' },
    ]);
    expect(resumed.last).toBe('Done.');
    expect(await executions('46')).toEqual(['refund_order@b']);
  }, 120_000);

  it('a denial answered on B is recorded as a refusal there, and the tool never runs', async () => {
    const asked = await ask(a, 'thread-43', [{ tools: [refund('43')] }]);
    const [request] = asked.interrupts;
    const resumed = await answer(b, 'thread-43', request?.taskId, {
      approved: false,
      approver: { id: 'maria@example.com' },
      reason: 'no receipt',
      toolCallId: request?.toolCallId,
    });
    expect(resumed.tools).toMatchObject([
      {
        id: 'call_refund_43',
        status: 'error',
        artifact: { writ: { code: 'WRIT_APPROVAL_REJECTED' } },
      },
    ]);
    expect(resumed.tools[0]?.content).toContain('no receipt');
    expect(await executions('43')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-langgraph-resume-other-user',
    "bob resuming alice's paused thread on another replica, in his own task: judged afresh, the answer refused, never run",
  ), async () => {
    const asked = await ask(a, 'thread-44', [{ tools: [refund('44')] }]);
    expect(asked.interrupts).toHaveLength(1);
    // bob has the thread id and alice's answer shape, not her task
    const resumed = await answer(
      b,
      'thread-44',
      undefined,
      { approved: true, toolCallId: 'call_refund_44' },
      BOB,
    );
    expect(resumed.tools).toMatchObject([
      { id: 'call_refund_44', status: 'error', artifact: { writ: { code: 'WRIT_APPROVAL_REJECTED' } } },
    ]);
    expect(resumed.tools[0]?.content).toContain('not pending in this task');
    expect(await executions('44')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-langgraph-node-rerun',
    'A runs the approved call and dies before LangGraph stores the node: B re-runs the node, the shared ledger claims the call, no second execution',
  ), async () => {
    const c = await replica('c');
    const asked = await ask(c, 'thread-45', [{ tools: [refund('45')] }]);
    const [request] = asked.interrupts;
    const resume = { approved: true, toolCallId: request?.toolCallId };
    // C runs the approved call, then is killed before the tools node's result reaches the checkpointer
    await c.call('dieAfterTool');
    const died = once(c.child, 'exit');
    void answer(c, 'thread-45', request?.taskId, resume).catch(() => undefined);
    const [, signal] = await died;
    expect(signal).toBe('SIGKILL');
    expect(await executions('45')).toEqual(['refund_order@c']);

    // the checkpoint still shows the interrupt: the same answer, served by B, re-runs the node
    const resumed = await answer(b, 'thread-45', request?.taskId, resume);
    expect(await executions('45')).toEqual(['refund_order@c']);
    expect(resumed.tools).toMatchObject([
      {
        id: 'call_refund_45',
        status: 'success',
        artifact: {
          writ: { code: 'WRIT_ALREADY_EXECUTED', resultDigest: expect.stringMatching(/^sha256:/) },
        },
      },
    ]);
    expect(resumed.last).toBe('Done.');
  }, 120_000);

  it('every record is in a log that verifies: asked in A, answered and run (or refused) in B', async () => {
    await Promise.all([a.call('close'), b.call('close')]);
    type Rec = {
      kind: string;
      call?: { id: string };
      approval?: { approved: boolean };
      outcome?: { status: string };
    };
    const records = (dir: string) => auditRecords<Rec>(dir);
    const ofCall = kindsOfCall;
    const inA = await records(a.dir);
    const inB = await records(b.dir);
    expect(ofCall(inA, 'call_refund_42')).toEqual(['approval-requested']);
    expect(ofCall(inB, 'call_refund_42')).toEqual(['approval', 'decision', 'outcome']);
    expect(
      inB.find((r) => r.kind === 'approval' && r.call?.id === 'call_refund_42')?.approval?.approved,
    ).toBe(true);
    expect(inB.find((r) => r.kind === 'outcome' && r.call?.id === 'call_refund_42')?.outcome?.status).toBe(
      'ok',
    );
    expect(ofCall(inA, 'call_lookup_42')).toEqual(['decision', 'outcome']);
    // the denial: asked in A, refused in B (approval record with approved: false, refused decision, outcome)
    expect(ofCall(inA, 'call_refund_43')).toEqual(['approval-requested']);
    expect(ofCall(inB, 'call_refund_43')).toEqual(['approval', 'decision', 'outcome']);
    expect(
      inB.find((r) => r.kind === 'approval' && r.call?.id === 'call_refund_43')?.approval?.approved,
    ).toBe(false);
    // C was killed mid-conversation: its log holds the call it ran, and still verifies
    const c = replicas.find((r) => r.dir.endsWith('/c'));
    expect(ofCall(await records(c?.dir as string), 'call_refund_45')).toEqual([
      'approval-requested',
      'approval',
      'decision',
      'outcome',
    ]);
    for (const dir of [a.dir, b.dir, c?.dir as string]) expect((await verifyLog(dir)).ok, dir).toBe(true);
  }, 120_000);
});

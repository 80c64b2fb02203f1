// Fleet mode through the real OpenAI Agents run loop (issue 20): two replicas in child processes, each
// with its own createWrit and file audit log, sharing Writ's stores (@writ/postgres) in one embedded
// PostgreSQL. `run()` pauses for a Writ approval on A; the application stores `result.state.toString()`
// and the task id; B restores the state (`RunState.fromString`), approves or rejects, and runs on. B never
// saw the interruption: what it needs comes from the approval item and the shared stores.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLines, verifyLog } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { attack } from './attacks.js';
import { type FleetMember, forkMember, stopMembers } from './fleet-members.js';

const MEMBER = fileURLToPath(new URL('./fleet-openai-agents-member.mjs', import.meta.url));
const STORE_KEY = 'fleet-test-store-key-0123456789abcdef';
const ALICE = 'token-alice';
const BOB = 'token-bob';
const MARIA = { kind: 'human', id: 'maria@example.com', assurance: 'verified' };

interface Replica extends FleetMember {
  readonly dir: string;
}
interface Asked {
  taskId: string;
  state: string;
  interruptions: string[];
}
interface Answered {
  finalOutput: string | null;
  outputs: { callId: string; output: string }[];
}

let db: TestPostgres;
let root: string;
let a: Replica;
let b: Replica;

async function replica(name: string): Promise<Replica> {
  const dir = join(root, name);
  const env = { DATABASE_URL: db.connectionString(), AUDIT_DIR: dir, MEMBER: name, STORE_KEY };
  return { ...(await forkMember(MEMBER, name, env)), dir };
}
const executions = async (orderId: string) =>
  (await db.admin.query('SELECT member FROM public.executions WHERE call = $1', [orderId])).rows.map(
    (r) => r.member as string,
  );
const refund = (orderId: string) => ({
  call: { name: 'refund_order', args: { orderId, amount: 30 }, callId: `call_refund_${orderId}` },
});
const ask = (on: Replica, orderId: string, requester = ALICE) =>
  on.call<Asked>('ask', { requester, script: [refund(orderId)] });
const answer = (
  on: Replica,
  asked: Asked,
  how: 'approveCall' | 'approve' | 'rejectCall',
  more: { requester?: string; taskId?: string | undefined; approver?: unknown; reason?: string } = {},
) =>
  on.call<Answered>('answer', {
    requester: ALICE,
    taskId: asked.taskId,
    ...more,
    state: asked.state,
    how,
    script: [{ text: 'Done.' }],
  });

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (tool text, call text, member text)');
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-openai-agents-'));
  [a, b] = await Promise.all([replica('a'), replica('b')]);
}, 180_000);
afterAll(async () => {
  await stopMembers(a, b);
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('OpenAI Agents on two replicas: run() interrupted on A, RunState resumed on B', () => {
  it('approved on B (approveCall naming the approver): the tool runs once, in B; the same state resumed again on A runs nothing', async () => {
    const asked = await ask(a, '42');
    expect(asked.interruptions).toEqual(['refund_order']);
    expect(await executions('42')).toEqual([]);
    const started = performance.now();
    const resumed = await answer(b, asked, 'approveCall', { approver: MARIA });
    console.info(
      `OpenAI Agents resume served by another replica: ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(resumed).toEqual({
      finalOutput: 'Done.',
      outputs: [{ callId: 'call_refund_42', output: 'refunded 30 on order 42 by b' }],
    });
    expect(await executions('42')).toEqual(['b']);
    // a retried request (the stored state approved again) lands on A: never a second run
    const again = await answer(a, asked, 'approve');
    expect(await executions('42')).toEqual(['b']);
    expect(again.outputs[0]?.output).toMatch(
      /^Writ \(WRIT_ALREADY_EXECUTED\): .*\(sha256:[0-9a-f]+\)\. It was not run again\.$/,
    );
  }, 120_000);

  it('rejected on B (rejectCall): recorded there as a refusal, the model told so, the tool never runs', async () => {
    const asked = await ask(a, '43');
    const resumed = await answer(b, asked, 'rejectCall', { approver: MARIA, reason: 'no receipt' });
    expect(resumed.finalOutput).toBe('Done.');
    expect(resumed.outputs).toHaveLength(1);
    expect(resumed.outputs[0]?.output).toMatch(/^Refused by Writ \(WRIT_APPROVAL_REJECTED\): .*no receipt/);
    expect(await executions('43')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-openai-agents-resume-other-user',
    "bob resumes alice's stored RunState on another replica, in his own task, and approves it: judged afresh, refused, never run",
  ), async () => {
    const asked = await ask(a, '44');
    const resumed = await answer(b, asked, 'approve', { requester: BOB, taskId: undefined });
    expect(resumed.outputs[0]?.output).toMatch(/^Refused by Writ \(WRIT_APPROVAL_REJECTED\)/);
    expect(await executions('44')).toEqual([]);
  }, 120_000);

  it('every record is in a log that verifies: asked in A; approved (by the approver named on B) or refused, in B', async () => {
    await Promise.all([a.call('close'), b.call('close')]);
    type Rec = {
      kind: string;
      call?: { id: string };
      approval?: { approved: boolean; approver: { id: string } | null };
      outcome?: { status: string };
    };
    const records = async (dir: string) => {
      const out: Rec[] = [];
      for await (const line of readLines(dir)) {
        const record = JSON.parse(line.bytes.toString('utf8')) as { r?: Rec };
        if (record.r !== undefined) out.push(record.r);
      }
      return out;
    };
    const ofCall = (list: Rec[], id: string, kind?: string) =>
      list.filter((r) => r.call?.id === id && (kind === undefined || r.kind === kind));
    const inA = await records(a.dir);
    const inB = await records(b.dir);
    expect(ofCall(inA, 'call_refund_42').map((r) => r.kind)).toEqual(['approval-requested', 'outcome']);
    expect(ofCall(inB, 'call_refund_42').map((r) => r.kind)).toEqual(['approval', 'decision', 'outcome']);
    expect(ofCall(inB, 'call_refund_42', 'approval')[0]?.approval).toMatchObject({
      approved: true,
      approver: { id: 'maria@example.com' },
    });
    expect(ofCall(inA, 'call_refund_43').map((r) => r.kind)).toEqual(['approval-requested']);
    expect(ofCall(inB, 'call_refund_43').map((r) => r.kind)).toEqual(['approval', 'decision', 'outcome']);
    expect(ofCall(inB, 'call_refund_43', 'approval')[0]?.approval).toMatchObject({
      approved: false,
      approver: { id: 'maria@example.com' },
    });
    for (const dir of [a.dir, b.dir]) expect((await verifyLog(dir)).ok, dir).toBe(true);
  }, 120_000);
});

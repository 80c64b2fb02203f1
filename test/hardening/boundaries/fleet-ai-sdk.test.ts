// Issue 20 acceptance: an AI SDK approval flow where the approval request and the resumed request are
// served by two different processes, as serverless does. Two child processes (fleet-ai-sdk-member.mjs),
// each its own zero-config `createWrit({ store: postgres(url) })` with its own file audit log, serve the
// requests of one conversation: a real `generateText` loop, the AI SDK's MockLanguageModelV4,
// `writTools` + `writToolApproval` + `recordApprovalDenials`. The messages travel as JSON through the
// test (the client); the task id the first request returned travels with them (`writ.task({ resume })`).
// What runs is counted in the database (one row per execution), across both processes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLines, verifyLog } from '@writ/audit';
import type { ModelMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { attack } from './attacks.js';
import { type FleetMember, forkMember, stopMembers } from './fleet-members.js';

const MEMBER = fileURLToPath(new URL('./fleet-ai-sdk-member.mjs', import.meta.url));

interface Instance extends FleetMember {
  readonly auditDir: string;
}

/** What one request returned to the client. */
interface Reply {
  readonly taskId: string;
  readonly text: string;
  readonly responseMessages: ModelMessage[];
  readonly approvalRequests: { approvalId: string; toolCallId: string; isAutomatic: boolean }[];
  /** The tool results the model saw in its last prompt, by tool call id. */
  readonly toolResults: Record<string, { type: string; value?: unknown; reason?: string }>;
}

type Turn = { call: [string, string, unknown] } | { text: string };

let db: TestPostgres;
let root: string;
let a: Instance;
let b: Instance;
let alice: string;
let bob: string;

async function instance(name: string, shared: string): Promise<Instance> {
  const auditDir = join(root, `audit-${name}`);
  const env = {
    DATABASE_URL: db.connectionString(),
    SHARED_DIR: shared,
    AUDIT_DIR: auditDir,
    MEMBER: name,
    WRIT_STORE_KEY: 'fleet-ai-sdk-store-key-0123456789abcdef',
  };
  return { ...(await forkMember(MEMBER, name, env)), auditDir };
}

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (order_id text, member text, requester text)');
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-ai-sdk-'));
  const shared = join(root, 'shared');
  // A creates the fleet's authority key, then B starts and loads it
  a = await instance('a', shared);
  b = await instance('b', shared);
  alice = await a.call<string>('token', { sub: 'alice@example.com' });
  bob = await a.call<string>('token', { sub: 'bob@example.com' });
}, 180_000);
afterAll(async () => {
  await stopMembers(a, b);
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const executions = async (orderId: string) =>
  (await db.admin.query('SELECT member, requester FROM public.executions WHERE order_id = $1', [orderId]))
    .rows as { member: string; requester: string }[];

/**
 * What the model reads when the call already ran (once, elsewhere or earlier): it was not run *again*,
 * never "the tool was not run" (the model would tell the user the refund did not happen).
 */
const ALREADY_RAN =
  /^Writ \(WRIT_ALREADY_EXECUTED\): tool call \w+ already ran once; .*\. It was not run again\.$/;

/** The Writ refusal code in a tool result the model saw (`Refused by Writ (<code>): …`), if any. */
const refusalCode = (result: Reply['toolResults'][string] | undefined) =>
  result?.type === 'error-text'
    ? /^(?:Refused by )?Writ \((\w+)\)/.exec(String(result.value))?.[1]
    : undefined;

const ask = (content: string): ModelMessage[] => [{ role: 'user', content }];
const refund = (callId: string, orderId: string, amount: number): Turn => ({
  call: [callId, 'refund_order', { orderId, amount }],
});

/** Request 1 on `on`: the model asks to refund; the response ends with the approval request. */
async function firstRequest(on: Instance, token: string, messages: ModelMessage[], turn: Turn) {
  const reply = await on.call<Reply>('request', { token, messages, turns: [turn] });
  const request = reply.approvalRequests.find((r) => !r.isAutomatic);
  expect(request, 'the response ends with a tool-approval-request').toBeDefined();
  return { reply, approvalId: request?.approvalId as string };
}

/** The client's next messages: the response, then the human's answer to the approval request. */
function answer(
  messages: ModelMessage[],
  first: { reply: Reply; approvalId: string },
  approved: boolean,
  reason?: string,
): ModelMessage[] {
  return [
    ...messages,
    ...first.reply.responseMessages,
    {
      role: 'tool',
      content: [
        {
          type: 'tool-approval-response',
          approvalId: first.approvalId,
          approved,
          ...(reason === undefined ? {} : { reason }),
        },
      ],
    },
  ];
}

describe('AI SDK approvals served by two processes (serverless)', () => {
  it.each([
    ['generateText', '42', 'call_1'],
    ['streamText', '46', 'call_5'],
  ] as const)(
    'request 1 on A asks approval; request 2 on B (%s), with the approval and the task id, runs the tool once and the model answers; a retry runs nothing',
    async (api, orderId, callId) => {
      const messages = ask(`Refund 250 on order ${orderId}`);
      let started = performance.now();
      const first = await firstRequest(a, alice, messages, refund(callId, orderId, 250));
      const firstMs = performance.now() - started;
      expect(first.reply.approvalRequests).toEqual([
        { approvalId: first.approvalId, toolCallId: callId, isAutomatic: false },
      ]);
      expect(await executions(orderId)).toEqual([]); // asked, not run

      const approved = answer(messages, first, true);
      const resumed = {
        token: alice,
        resume: first.reply.taskId,
        messages: approved,
        stream: api === 'streamText',
      };
      started = performance.now();
      const second = await b.call<Reply>('request', {
        ...resumed,
        turns: [{ text: `Refunded 250 on order ${orderId}.` }],
      });
      const secondMs = performance.now() - started;
      expect(second.taskId).toBe(first.reply.taskId);
      expect(second.toolResults[callId]).toEqual({
        type: 'json',
        value: { orderId, refunded: 250, by: 'b' },
      });
      expect(second.text).toBe(`Refunded 250 on order ${orderId}.`);
      expect(await executions(orderId)).toEqual([{ member: 'b', requester: 'alice@example.com' }]);

      // the client did not get the response and sends request 2 again, to either instance: nothing runs
      // again; the result stayed in B (capture is off), so the model is told the call already ran
      for (const on of [a, b]) {
        const retried = await on.call<Reply>('request', { ...resumed, turns: [{ text: 'Already done.' }] });
        expect(retried.toolResults[callId]?.value).toMatch(ALREADY_RAN);
      }
      expect(await executions(orderId)).toHaveLength(1);
      // figures, not assertions (the tool itself takes 150 ms)
      console.log(
        `${api}: request 1 on A ${firstMs.toFixed(0)} ms (policy, approval asked, rows written); request 2 on B ${secondMs.toFixed(0)} ms (claim, approval taken, tool run, settled)`,
      );
    },
    120_000,
  );

  it('a denial answered in request 2 on B is recorded there as a refusal; the tool never runs', async () => {
    const messages = ask('Refund 900 on order 44');
    const first = await firstRequest(a, alice, messages, refund('call_2', '44', 900));
    const second = await b.call<Reply>('request', {
      token: alice,
      resume: first.reply.taskId,
      messages: answer(messages, first, false, 'Refunds over 500 need a manager'),
      turns: [{ text: 'I could not refund it: a manager has to approve refunds over 500.' }],
    });
    expect(second.toolResults.call_2).toEqual({
      type: 'execution-denied',
      reason: 'Refunds over 500 need a manager',
    });
    expect(second.text).toMatch(/manager/);
    expect(await executions('44')).toEqual([]);
  }, 120_000);

  it('a denial posted to A and B at once is recorded once (the other request replays it); the tool never runs', async () => {
    const messages = ask('Refund 600 on order 47');
    const first = await firstRequest(a, alice, messages, refund('call_6', '47', 600));
    const declined = answer(messages, first, false, 'No');
    const replies = await Promise.all(
      [a, b].map((on) =>
        on.call<Reply>('request', {
          token: alice,
          resume: first.reply.taskId,
          messages: declined,
          turns: [{ text: 'Not refunded.' }],
        }),
      ),
    );
    for (const reply of replies)
      expect(reply.toolResults.call_6).toEqual({ type: 'execution-denied', reason: 'No' });
    expect(await executions('47')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-ai-sdk-concurrent-resume',
    'the approved messages replayed at A and B at the same time (two resumed requests): exactly one execution',
  ), async () => {
    const messages = ask('Refund 120 on order 43');
    const first = await firstRequest(a, alice, messages, refund('call_3', '43', 120));
    const approved = answer(messages, first, true);
    const started = performance.now();
    const replies = await Promise.all(
      [a, b].map((on) =>
        on
          .call<Reply>('request', {
            token: alice,
            resume: first.reply.taskId,
            messages: approved,
            turns: [{ text: 'Done.' }],
          })
          .then((reply) => ({ ...reply, ms: performance.now() - started })),
      ),
    );
    const rows = await executions('43');
    expect(rows).toHaveLength(1);
    // the instance that ran it hands its model the result; the other's model is told it already ran
    const ran = replies.filter((r) => r.toolResults.call_3?.type === 'json');
    expect(ran).toHaveLength(1);
    expect(ran[0]?.toolResults.call_3?.value).toEqual({ orderId: '43', refunded: 120, by: rows[0]?.member });
    const other = replies.find((r) => r !== ran[0]);
    expect(other?.toolResults.call_3).toMatchObject({
      type: 'error-text',
      value: expect.stringMatching(ALREADY_RAN),
    });
    console.log(
      `concurrent resume: the request that ran it (on ${rows[0]?.member}) answered in ${ran[0]?.ms.toFixed(0)} ms, the other (waited for its settle) in ${other?.ms.toFixed(0)} ms`,
    );
  }, 120_000);

  it(attack(
    'fleet-ai-sdk-approval-other-user',
    "another user replaying the first user's approved messages on B (even with the first user's task id) is judged afresh and refused; the approval stays the first user's",
  ), async () => {
    const messages = ask('Refund 75 on order 45');
    const first = await firstRequest(a, alice, messages, refund('call_4', '45', 75));
    const approved = answer(messages, first, true);
    for (const resume of [first.reply.taskId, undefined]) {
      const replayed = await b.call<Reply>('request', {
        token: bob,
        ...(resume === undefined ? {} : { resume }),
        messages: approved,
        turns: [{ text: 'Sorry.' }],
      });
      expect(refusalCode(replayed.toolResults.call_4)).toBe('WRIT_APPROVAL_REJECTED');
      // what bob's model reads says why, without naming anything of alice's
      expect(replayed.toolResults.call_4?.value).toContain(
        'has no pending approval for tool call call_4 in this task for this requester',
      );
    }
    expect(await executions('45')).toEqual([]);
    // the approval was not consumed: alice's own resumed request runs the call, once, for her
    const second = await b.call<Reply>('request', {
      token: alice,
      resume: first.reply.taskId,
      messages: approved,
      turns: [{ text: 'Refunded 75 on order 45.' }],
    });
    expect(second.toolResults.call_4?.type).toBe('json');
    expect(await executions('45')).toEqual([{ member: 'b', requester: 'alice@example.com' }]);
  }, 120_000);

  it('both audit logs verify, and together they tell each call whole: asked in A, answered, decided and run in B', async () => {
    // each log is signed by its own key (pinned: read from the running instance, not from the log)
    const keys = [await a.call<string>('verifierKey'), await b.call<string>('verifierKey')];
    await Promise.all([a.call('close'), b.call('close')]);
    // biome-ignore lint/suspicious/noExplicitAny: records are asserted field by field
    type R = Record<string, any>;
    const records = async (dir: string) => {
      const out: R[] = [];
      for await (const line of readLines(dir)) {
        const r = (JSON.parse(line.bytes.toString('utf8')) as { r?: R }).r;
        if (r !== undefined && r.kind !== 'checkpoint') out.push(r);
      }
      return out;
    };
    const inA = await records(a.auditDir);
    const inB = await records(b.auditDir);
    const story = (list: R[], id: string) =>
      list
        .filter((r) => r.call?.id === id && r.requester?.id === 'alice@example.com')
        .map((r) => (r.kind === 'outcome' ? `outcome:${r.outcome.status}` : r.kind));

    // approved (call_1, call_5): the request in A; the approval, the decision pointing at it and the
    // outcome in B; each retry recorded where it landed, as a replay
    for (const id of ['call_1', 'call_5']) {
      expect(story(inA, id)).toEqual(['approval-requested', 'outcome:replayed']);
      expect(story(inB, id)).toEqual(['approval', 'decision', 'outcome:ok', 'outcome:replayed']);
    }
    const approval = inB.find((r) => r.kind === 'approval' && r.call?.id === 'call_1');
    const asked = inA.find((r) => r.kind === 'approval-requested' && r.call?.id === 'call_1');
    expect(approval?.approval).toMatchObject({ approved: true, approver: { id: 'alice@example.com' } });
    expect(approval?.approval?.bindingHash).toBe(asked?.bindingHash);
    expect(approval?.decisionId).toBe(asked?.decision?.decisionId);
    expect(inB.find((r) => r.kind === 'decision' && r.call?.id === 'call_1')?.decision?.effect).toBe(
      'approval_required',
    );
    // request 2 and its retry on B continued A's task; in A, the task began, then the retry continued it
    const taskId = asked?.taskId;
    const starts = (list: R[]) =>
      list.filter((r) => r.kind === 'task-start' && r.taskId === taskId).map((r) => r.resumed === true);
    expect(starts(inA)).toEqual([false, true]);
    expect(starts(inB)).toEqual([true, true]);

    // declined (call_2): asked in A; in B the approval (approved: false), the refused decision and outcome
    expect(story(inA, 'call_2')).toEqual(['approval-requested']);
    expect(story(inB, 'call_2')).toEqual(['approval', 'decision', 'outcome:refused']);
    expect(inB.find((r) => r.kind === 'approval' && r.call?.id === 'call_2')?.approval).toMatchObject({
      approved: false,
      reason: 'Refunds over 500 need a manager',
    });
    expect(inB.find((r) => r.kind === 'decision' && r.call?.id === 'call_2')?.refusal?.code).toBe(
      'WRIT_APPROVAL_REJECTED',
    );

    // declined at A and B at once (call_6): one approval (approved: false) and one refused decision in
    // all; the other request's onStart found the call settled and recorded a replay, or nothing
    const both = [...inA, ...inB];
    const ofCall6 = (kind: string) => both.filter((r) => r.kind === kind && r.call?.id === 'call_6');
    expect(ofCall6('approval').map((r) => r.approval?.approved)).toEqual([false]);
    expect(ofCall6('decision').map((r) => r.refusal?.code)).toEqual(['WRIT_APPROVAL_REJECTED']);
    expect(
      ofCall6('outcome')
        .map((r) => r.outcome?.status)
        .filter((s) => s !== 'replayed'),
    ).toEqual(['refused']);

    // bob's replays (call_4): decided afresh in his own name and refused, in B's log
    const bobs = inB.filter((r) => r.call?.id === 'call_4' && r.requester?.id === 'bob@example.com');
    expect(bobs.filter((r) => r.kind === 'decision').map((r) => r.refusal?.code)).toEqual([
      'WRIT_APPROVAL_REJECTED',
      'WRIT_APPROVAL_REJECTED',
    ]);
    expect(bobs.some((r) => r.kind === 'approval')).toBe(false);

    for (const [i, dir] of [a.auditDir, b.auditDir].entries()) {
      const result = await verifyLog(dir, { verifierKey: keys[i], deep: true });
      expect(result.ok, `${dir}: ${JSON.stringify(result)}`).toBe(true);
    }
  }, 120_000);
});

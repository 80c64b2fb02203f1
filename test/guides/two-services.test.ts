// Issue 21 acceptance: the two-service investigation (docs/guides/investigating.md), in CI. The example
// examples/two-services runs as written: alice signs in at a real OpenID Provider (oidc-provider on
// 127.0.0.1), the desk's AI SDK orchestrator (generateText, the AI SDK's mock model) delegates to a
// sub-agent whose tools call the orders MCP server, ANOTHER PROCESS with its own runtime, key and log,
// over Streamable HTTP. Then the BUILT `writ explain` over both logs, with only the logs, their pinned
// keys and copies of their checkpoints, answers each question of the table.
// Build first (npx turbo run build). Rows that need the carried claims and receipts:
// two-services-carried.test.ts.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readVerifiedLog, type TaskNode } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import type { TwoServicesRun } from '../../examples/two-services/src/support-desk.ts';
import { runCli } from '../../packages/cli/src/__support__/cli.js';
import type { TestOp } from '../../packages/identity/src/oidc/__support__/op.js';
import { attack } from '../hardening/boundaries/attacks.js';
import {
  evidence,
  recordAt,
  type Side,
  startTwoServices,
  type TwoServicesScenario,
} from './two-services-run.js';

let scenario: TwoServicesScenario;
let dir: string;
let op: TestOp;
let run: TwoServicesRun;
let desk: Side;
let orders: Side;
/** `writ explain` over both logs for alice's task: text, and --json parsed. */
let text: { code: number; stdout: string };
// biome-ignore lint/suspicious/noExplicitAny: the --json document is read field by field
let doc: any;

beforeAll(async () => {
  scenario = await startTwoServices('writ-two-services-');
  ({ dir, op, run, desk, orders } = scenario);
  const explained = performance.now();
  text = await scenario.explainTask();
  const json = await scenario.explainTask(['--json']);
  console.log(`writ explain (text, then --json) in ${Math.round(performance.now() - explained)} ms`);
  console.log(text.stdout);
  expect(json.stderr).toBe('');
  doc = JSON.parse(json.stdout);
}, 90_000);

afterAll(() => scenario?.cleanup());

const root = (): TaskNode => doc.tasks[0];
const clerk = (): TaskNode => root().delegations[0] as TaskNode;
const call = (tool: string) => clerk().calls.find((c) => c.tool === tool);
/** The orders server's run under the desk's call `tool`, and its one call. */
const served = (tool: string) => {
  const callee = call(tool)?.callees?.[0];
  return { task: callee, call: callee?.calls[0] };
};

describe("issue 21 acceptance: one investigation over the desk's and the orders server's logs", () => {
  it('verified first: each log with its own pinned key and its own checkpoint, per-log status, exit 0', () => {
    expect(text.code).toBe(0);
    expect(
      doc.logs.map((l: { log: string; verification: { state: string } }) => [l.log, l.verification.state]),
    ).toEqual([
      [desk.log, 'anchored'],
      [orders.log, 'anchored'],
    ]);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^✔ verified and anchored ${desk.log}: \\d+ records`));
    expect(lines[1]).toMatch(new RegExp(`^✔ verified and anchored ${orders.log}: \\d+ records`));
    expect(doc.findings).toEqual([]);
  });

  it('the human requester and the identity provider that verified them', () => {
    expect(root().requester).toMatchObject({
      id: 'alice',
      kind: 'human',
      assurance: 'verified',
      issuer: op.issuer,
    });
    expect(root().intent).toBe('Order 42 arrived damaged: refund 250 and close my account.');
    expect(text.stdout).toContain('requester alice (verified)');
    // the server's side names the same person, verified from the desk's credential
    expect(served('refund_order').task?.requester).toMatchObject({ id: 'alice', assurance: 'verified' });
  });

  it('the agents in delegation order: orchestrator → sub-agent → server, in the JSON and in the text tree', () => {
    const ids = (node: TaskNode | undefined) => node?.chain.map((p) => p.id);
    expect(ids(root())).toEqual(['spiffe://support.example/agent/support-bot']);
    expect(ids(clerk())).toEqual([
      'spiffe://support.example/agent/support-bot',
      'spiffe://support.example/agent/orders-clerk',
    ]);
    expect(clerk().scope).toEqual(['orders:read', 'orders:refund', 'orders:write']);
    expect(ids(served('refund_order').task)).toEqual([
      'spiffe://support.example/agent/support-bot',
      'spiffe://support.example/agent/orders-clerk',
      'spiffe://orders.example/agent/orders-mcp',
    ]);
    // the text tree: each agent nested under the one that delegated or called, in that order
    const at = (needle: string, from = 0) => text.stdout.indexOf(needle, from);
    const bot = at('agent support-bot <spiffe://support.example/agent/support-bot>');
    const sub = at('agent orders-clerk <spiffe://support.example/agent/orders-clerk>', bot);
    const refund = at('refund_order #', sub);
    const server = at('agent orders-mcp <spiffe://orders.example/agent/orders-mcp>', refund);
    expect([bot, sub, refund, server].every((i) => i >= 0)).toBe(true);
    expect(text.stdout).toContain(`delegation ${run.delegatedTaskId} [support-desk · ${desk.log}]`);
    expect(text.stdout).toContain(`→ continued task ${run.delegatedTaskId} [orders-mcp · ${orders.log}]`);
  });

  it("the server's decisions: policies and the evaluated context, on its own policy (allowed, denied, approval required)", () => {
    expect(served('lookup_order').call).toMatchObject({
      tool: 'lookup_order',
      decision: {
        effect: 'allow',
        engine: 'cedar',
        policyIds: expect.arrayContaining(['default.cedar#read-only-tools']),
      },
      outcome: { status: 'ok' },
    });
    const denied = served('close_account').call;
    expect(denied).toMatchObject({
      tool: 'delete_customer',
      decision: { effect: 'deny', policyIds: ['default.cedar#destructive-out-of-scope'] },
      outcome: { status: 'refused', errorCode: 'WRIT_POLICY_DENIED' },
    });
    expect(denied?.decision?.evaluatedContext).toMatchObject({
      action: { name: 'delete_customer', properties: { permission: 'customers:delete', destructive: true } },
      context: {
        inScope: false,
        scope: ['orders:read', 'orders:refund', 'orders:write'],
        taskId: run.delegatedTaskId,
      },
    });
    const refund = served('refund_order').call;
    expect(refund?.decision).toMatchObject({
      effect: 'approval_required',
      policyIds: ['default.cedar#high-risk-needs-approval'],
      reasons: ['high-risk tools need a human approval'],
      evaluatedContext: { action: { properties: { risk: 'high', permission: 'orders:refund' } } },
    });
    expect(text.stdout).toMatch(
      /decision ✖ deny by cedar \S+ policies default\.cedar#destructive-out-of-scope/,
    );
    expect(text.stdout).toMatch(
      /decision ⏸ approval by cedar \S+ policies default\.cedar#high-risk-needs-approval/,
    );
  });

  it('the approval: who (verified by the identity provider), when, bound to what', async () => {
    const refund = served('refund_order').call;
    expect(refund?.approval).toMatchObject({
      approved: true,
      approver: { id: 'maria', kind: 'human', assurance: 'verified', issuer: op.issuer },
      bindingHash: refund?.approvalRequested?.bindingHash,
    });
    expect(refund?.approval?.bindingHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // when: the approval's own record, named by the tree, read back verified
    const ref = refund?.records.find((r) => r.kind === 'approval');
    expect(ref?.evidence).toBe('verified');
    const record = await recordAt(orders, ref?.index as number);
    expect(record).toMatchObject({
      kind: 'approval',
      approval: { bindingHash: refund?.approval?.bindingHash },
    });
    expect(Date.parse(record.time)).toBeLessThanOrEqual(
      Date.parse((await recordAt(orders, refund?.index as number)).time),
    );
    // and the tree says when, from that record
    expect(refund?.answeredAt).toBe(record.time);
    expect(text.stdout).toContain(`approval granted by maria (verified by ${op.issuer}) at ${record.time}`);
    expect(text.stdout).toContain(`binding ${refund?.approval?.bindingHash}`);
  });

  it('the credential the caller presented (jti, audience) joins the two logs, one link per call, (log, index) at both ends', async () => {
    expect(doc.links.map((l: { caller: { tool: string } }) => l.caller.tool)).toEqual([
      'lookup_order',
      'refund_order',
      'close_account',
    ]);
    for (const link of doc.links) {
      expect(link).toMatchObject({
        caller: { log: desk.log, service: 'support-desk', evidence: 'verified' },
        callee: { log: orders.log, service: 'orders-mcp', evidence: 'verified' },
        taskId: run.delegatedTaskId,
        audience: run.ordersUrl,
      });
      const issued = await recordAt(desk, link.caller.index);
      expect(issued).toMatchObject({
        kind: 'decision',
        credential: { jti: link.jti, audience: run.ordersUrl },
      });
      const presented = await recordAt(orders, link.callee.index);
      expect(presented).toMatchObject({
        kind: 'task-start',
        taskId: run.delegatedTaskId,
        inbound: { jti: link.jti },
      });
      // never the desk's task token
      expect(link.jti).not.toBe(root().credential?.jti);
    }
    // each call shows its own run at the server, not every run of the task
    expect(clerk().calls.map((c) => [c.tool, c.callees?.[0]?.calls.map((s) => s.tool)])).toEqual([
      ['lookup_order', ['lookup_order']],
      ['refund_order', ['refund_order']],
      ['close_account', ['delete_customer']],
      ['lookup_invoice', undefined],
    ]);
    expect(text.stdout).toContain(`credential ${doc.links[1].jti} for ${run.ordersUrl}`);
  });

  it('trace and correlation: both sides carry the same correlation id, and the same trace at both ends of each link', async () => {
    for (const node of [root(), clerk(), served('refund_order').task])
      expect(node?.correlationId).toBe(run.correlationId);
    // the server's decision records continue the trace the desk's call sent (traceparent in _meta)
    for (const link of doc.links) {
      const issued = await recordAt(desk, link.caller.index);
      const callee = clerk().calls.find((c) => c.index === link.caller.index)?.callees?.[0];
      const decided = await recordAt(orders, callee?.calls[0]?.index as number);
      expect(issued.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(decided).toMatchObject({ kind: 'decision', traceId: issued.traceId });
    }
  });

  it('outcomes on both sides: what ran, what the server refused', () => {
    expect(call('lookup_order')?.outcome?.status).toBe('ok');
    expect(call('refund_order')?.outcome?.status).toBe('ok');
    expect(served('refund_order').call?.outcome?.status).toBe('ok');
    // the server refused: its log says so; the desk's records the tool's failure (see -carried)
    expect(served('close_account').call?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_POLICY_DENIED',
    });
    expect(call('close_account')?.outcome?.status).toBe('error');
  });

  it("a refused wider delegation: the orchestrator asks for more than its own scope, refused WRIT_SCOPE_EXCEEDED, recorded in the desk's log and shown", () => {
    const refused = root().delegations[1];
    expect(refused).toMatchObject({
      status: 'refused',
      refusal: { code: 'WRIT_SCOPE_EXCEEDED' },
      parentTaskId: run.taskId,
      scope: [],
    });
    expect(refused?.calls).toEqual([]);
    expect(root().calls[1]?.outcome).toMatchObject({ status: 'error', errorCode: 'WRIT_SCOPE_EXCEEDED' });
    expect(text.stdout).toMatch(
      /✖ refused WRIT_SCOPE_EXCEEDED: requested scope exceeds the delegating scope: payments:refund/,
    );
  });

  it("a refused credential: one for another audience sent to the orders server is refused WRIT_AUDIENCE_MISMATCH, the tool never runs, the server's log records it in the same trace", async () => {
    const misrouted = call('lookup_invoice');
    expect(misrouted?.credential).toMatchObject({ audience: run.otherAudience });
    expect(misrouted?.callees).toBeUndefined();
    expect(doc.links.some((l: { jti: string }) => l.jti === misrouted?.credential?.jti)).toBe(false);
    // the server's side: its own (autonomous) task, found by the correlation the caller sent
    const out = await runCli([
      'explain',
      desk.log,
      orders.log,
      '--correlation',
      run.correlationId,
      '--include-unverified-correlation',
      ...evidence(desk, orders),
      '--json',
    ]);
    const refusedAt = (JSON.parse(out.stdout).tasks as TaskNode[]).find((t) => t.log === orders.log);
    expect(refusedAt).toMatchObject({ requester: null, correlationUnverified: true, service: 'orders-mcp' });
    expect(refusedAt?.calls[0]).toMatchObject({
      tool: 'lookup_order',
      refusal: { code: 'WRIT_AUDIENCE_MISMATCH' },
      outcome: { status: 'refused', errorCode: 'WRIT_AUDIENCE_MISMATCH' },
    });
    const record = await recordAt(orders, refusedAt?.calls[0]?.index as number);
    const issued = await recordAt(desk, misrouted?.index as number);
    expect(record.traceId).toBe(issued.traceId);
  });

  for (const which of ['desk', 'orders'] as const)
    it(
      attack(
        'multilog-flipped-byte',
        `a byte flipped in the ${which} log: named at (that log, its first bad record), the other still verified, exit 1`,
      ),
      async () => {
        const side = which === 'desk' ? desk : orders;
        const copy = join(dir, `flipped-${which}`);
        await cp(side.log, copy, { recursive: true });
        const segment = join(copy, (await readdir(copy)).find((f) => f.endsWith('.jsonl')) as string);
        const bytes = await readFile(segment);
        // the year of the first decision record's time: '6' ^ 1 = '7', still JSON, still a time
        const decision = bytes.indexOf('"kind":"decision"');
        const lineStart = bytes.lastIndexOf('\n', decision) + 1;
        const at = bytes.indexOf('"time":"', lineStart) + '"time":"'.length + 3;
        expect(at).toBeLessThan(bytes.indexOf('\n', decision));
        bytes[at] = (bytes[at] as number) ^ 0x01;
        await writeFile(segment, bytes);
        const index = Number(/"i":(\d+)/.exec(bytes.subarray(lineStart).toString())?.[1]);
        const flipped = { ...side, log: copy };
        const sides = which === 'desk' ? [flipped, orders] : [desk, flipped];
        const args = ['explain', ...sides.map((s) => s.log), '--task', run.taskId, ...evidence(...sides)];
        const json = await runCli([...args, '--json']);
        expect(json.code).toBe(1);
        const verdicts = JSON.parse(json.stdout).logs;
        expect(verdicts.find((l: { log: string }) => l.log === copy).verification).toMatchObject({
          state: 'failed',
          firstBadIndex: index,
        });
        expect(verdicts.find((l: { log: string }) => l.log !== copy).verification.state).toBe('anchored');
        const out = await runCli(args);
        expect(out.code).toBe(1);
        expect(out.stdout).toContain(`✖ does not verify ${copy}: first bad record ${index}`);
      },
    );

  it(
    attack(
      'multilog-forged-callee-task',
      "the orders log gains a task (signed with the server's own key) continuing the delegated task with a jti the desk never issued: a finding at (orders log, its task-start), exit 1",
    ),
    async () => {
      // an insider with the orders server's key appends to a copy of its state
      const copy = join(dir, 'forged-orders');
      await cp(join(orders.log, '..'), copy, { recursive: true });
      const forger = createWrit({ dir: copy, service: 'orders-mcp', trustDomain: 'orders.example' });
      const refund = forger.tool({
        name: 'refund_order',
        permission: 'orders:refund',
        input: z.object({ orderId: z.string() }),
        execute: async ({ orderId }) => `refunded ${orderId}`,
      });
      await forger.task(
        {
          agent: 'orders-mcp',
          inbound: {
            taskId: run.delegatedTaskId,
            subject: 'alice',
            actors: [
              'spiffe://support.example/agent/support-bot',
              'spiffe://support.example/agent/orders-clerk',
            ],
            autonomous: false,
            scope: ['orders:refund'],
            issuer: 'spiffe://support.example',
            jti: 'never-issued-0000',
            expiresAt: Date.now() + 60_000,
          },
        },
        () => refund.execute({ orderId: '42' }),
      );
      await forger.close();
      const forged = { ...orders, log: join(copy, 'audit') };
      const args = ['explain', desk.log, forged.log, '--task', run.taskId, ...evidence(desk, forged)];
      const json = await runCli([...args, '--json']);
      expect(json.code).toBe(1);
      const found = JSON.parse(json.stdout);
      // the log verifies (the key signed it) and is anchored by the earlier checkpoint: what it claims does not join
      expect(found.logs[1].verification.state).toBe('anchored');
      const { records } = await readVerifiedLog(forged.log, { verifierKey: forged.key });
      const start = records.find(
        (r) => r.record?.kind === 'task-start' && r.record.inbound?.jti === 'never-issued-0000',
      );
      expect(found.findings).toEqual([
        {
          kind: 'unmatched-inbound',
          log: forged.log,
          index: start?.index,
          message: expect.stringContaining('never-issued-0000'),
        },
      ]);
      // shown on its own, never under one of the desk's calls
      const calls = (found.tasks[0] as TaskNode).delegations[0]?.calls ?? [];
      expect(calls.map((c) => c.callees?.[0]?.calls.map((s) => s.tool))).toEqual([
        ['lookup_order'],
        ['refund_order'],
        ['delete_customer'],
        undefined,
      ]);
      expect(
        (found.tasks as TaskNode[])
          .slice(1)
          .map((t) => [t.log, t.records[0]?.index, t.calls.map((c) => c.tool)]),
      ).toEqual([[forged.log, start?.index, ['refund_order']]]);
      const out = await runCli(args);
      expect(out.code).toBe(1);
      expect(out.stdout).toContain(
        `✖ unmatched-inbound at ${forged.log} record ${start?.index}: task ${run.delegatedTaskId} presented credential never-issued-0000`,
      );
    },
  );
});

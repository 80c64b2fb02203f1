// The shared driver of the adapters' end-to-end tests (Google ADK, Strands, Genkit, OpenAI Agents). Each
// test runs the same support desk on its framework's real agent loop with a scripted model: the model looks
// order 42 up (allowed), tries to delete the customer (denied: the tool does not run, the model reads
// Writ's refusal), asks for a refund of 250 (approval required: the run pauses the framework's way, a human
// answers in a request that continues the task, the refund runs once). The test drives its loop and checks
// what its framework shows the model; this module holds what every adapter must leave behind: the records
// (decisions, outcomes, the approval bound to the call, the framework's ids), the span tree and the spans'
// attributes, and a log that verifies with the pinned key.
import { join } from 'node:path';
import { readLines, verifyLog } from '@writ/audit';
import type { ToolContext } from '@writ/core';
import type { ApprovalEvent, AuditEvent, DecisionEvent, OutcomeEvent } from '@writ/core/plugin';
import type { TestTracing } from '@writ/otel/testing';
import { expect } from 'vitest';
import type { WritRuntime } from 'writ';

/** The support desk's tool hints (the same in every adapter's options). */
export const SUPPORT_DESK_HINTS = {
  lookup_order: {
    permission: 'orders:read',
    annotations: { readOnly: true },
    resource: (args: unknown) => ({ type: 'Order', id: String((args as { orderId: string }).orderId) }),
  },
  refund_order: { permission: 'orders:refund', risk: 'high' as const },
  delete_customer: { permission: 'customers:delete' },
};

/** What the model must read for the denied `delete_customer` call, word for word. */
export const DENIED_DELETE =
  'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run.';

// ---------------------------------------------------------------------------------------------
// Writ records

export type Stored = AuditEvent | { kind: 'checkpoint' };

/** The records of the file log under `<dir>/audit`, in order. */
export async function readRecords(dir: string): Promise<Stored[]> {
  const out: Stored[] = [];
  for await (const line of readLines(join(dir, 'audit'))) out.push(JSON.parse(line.bytes.toString()).r);
  return out;
}
export const decisionsOf = (records: Stored[], tool: string) =>
  records.filter((r): r is DecisionEvent => r.kind === 'decision' && r.call.name === tool);
export const approvalsOf = (records: Stored[], tool: string) =>
  records.filter((r): r is ApprovalEvent => r.kind === 'approval' && r.call.name === tool);
export const outcomesOf = (records: Stored[], tool: string) =>
  records.filter((r): r is OutcomeEvent => r.kind === 'outcome' && r.call.name === tool);

// ---------------------------------------------------------------------------------------------
// The evidence of one support-desk run

type DeskTool = 'lookup_order' | 'delete_customer' | 'refund_order';

export interface SupportDeskRun {
  readonly writ: WritRuntime;
  /** The `dir` the Writ was created with. */
  readonly dir: string;
  readonly tracing: TestTracing;
  /** The task that asked (the approval's answer continued it). */
  readonly taskId: string;
  /** The binding hash of the approval request the framework carried, when the test read it. */
  readonly bindingHash?: string;
  /** The tool contexts the approved refund saw (one: its decision and credential). */
  readonly seen?: readonly ToolContext[];
  /** `call.framework` each call's decision must carry. */
  readonly framework: (tool: DeskTool) => unknown;
  /** The framework's span tree with Writ's execute_tool spans in it, line by line. */
  readonly tree: readonly string[];
  /** The name every execute_tool span's parent has (a pattern when the framework has several). */
  readonly toolSpanParent?: string | RegExp;
  /** The outcomes as `[status, errorCode | taskId]`, where the framework adds replays. */
  readonly outcomes?: { readonly delete_customer?: unknown[][]; readonly refund_order?: unknown[][] };
}

/**
 * Closes the Writ and checks what the support desk left behind: each call decided once (allow, deny,
 * approval_required), the denied call refused and never run, the refund approved by Maria (bound to the
 * call the framework paused on) and run once in the task that asked, the framework's ids on the records,
 * Writ's spans in the framework's tree, and a log that verifies with the pinned key.
 */
export async function expectSupportDeskEvidence(run: SupportDeskRun) {
  const { writ, dir, tracing, taskId } = run;
  const verifierKey = (await writ.ready()).fileAudit?.verifierKey;
  await writ.close();
  const records = await readRecords(dir);

  const [lookup, ...lookupAgain] = decisionsOf(records, 'lookup_order');
  const [denied, ...deniedAgain] = decisionsOf(records, 'delete_customer');
  const [refund, ...refundAgain] = decisionsOf(records, 'refund_order');
  expect([lookupAgain, deniedAgain, refundAgain]).toEqual([[], [], []]); // a resume reuses the decision
  expect([lookup?.decision.effect, denied?.decision.effect, refund?.decision.effect]).toEqual([
    'allow',
    'deny',
    'approval_required',
  ]);
  expect(denied?.refusal?.code).toBe('WRIT_POLICY_DENIED');
  expect(DENIED_DELETE).toBe(
    `Refused by Writ (WRIT_POLICY_DENIED): ${denied?.refusal?.message}. The tool was not run.`,
  );
  expect(refund?.refusal).toBeUndefined();

  expect(outcomesOf(records, 'lookup_order').map((o) => o.outcome.status)).toEqual(['ok']);
  expect(outcomesOf(records, 'delete_customer').map((o) => [o.outcome.status, o.outcome.errorCode])).toEqual(
    run.outcomes?.delete_customer ?? [['refused', 'WRIT_POLICY_DENIED']],
  );
  expect(outcomesOf(records, 'refund_order').map((o) => [o.outcome.status, o.taskId])).toEqual(
    run.outcomes?.refund_order ?? [['ok', taskId]],
  );

  const [approval, ...moreApprovals] = approvalsOf(records, 'refund_order');
  expect(moreApprovals).toEqual([]);
  expect(approval?.approval).toMatchObject({
    approved: true,
    approver: { id: 'maria@example.com', assurance: 'asserted' },
  });
  expect(approval?.approval.bindingHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(refund?.approval?.bindingHash).toBe(approval?.approval.bindingHash);
  if (run.bindingHash !== undefined) expect(approval?.approval.bindingHash).toBe(run.bindingHash);
  if (run.seen !== undefined) {
    expect(run.seen.map((ctx) => ctx.decision.effect)).toEqual(['approval_required']);
    expect(run.seen[0]?.credential?.jti).toBe(refund?.credential?.jti);
  }

  for (const [tool, r] of [
    ['lookup_order', lookup],
    ['delete_customer', denied],
    ['refund_order', refund],
  ] as const) {
    expect(r?.call.id).toMatch(/^call_(lookup|delete|refund)_1$/);
    expect(r?.taskId).toBe(taskId);
    expect(r?.call.framework, tool).toEqual(run.framework(tool));
  }

  // spans: Writ's execute_tool spans in the framework's own tree, with the decision on them
  expect(tracing.tree()).toBe(run.tree.join('\n'));
  const spans = tracing.toolSpans();
  expect(spans.map((s) => s.name).sort()).toEqual([
    'execute_tool delete_customer',
    'execute_tool lookup_order',
    'execute_tool refund_order',
  ]);
  if (run.toolSpanParent !== undefined) {
    for (const span of spans) expect(tracing.parentOf(span)?.name).toMatch(run.toolSpanParent);
  }
  const byName = (name: string) => spans.find((s) => s.name === `execute_tool ${name}`);
  expect(byName('delete_customer')?.attributes).toMatchObject({
    'writ.policy.effect': 'deny',
    'gen_ai.tool.call.id': 'call_delete_1',
    'error.type': 'WRIT_POLICY_DENIED',
  });
  expect(byName('refund_order')?.attributes).toMatchObject({
    'writ.policy.effect': 'approval_required',
    'writ.approval.approver': 'maria@example.com',
  });
  expect(lookup?.spanId).toBe(byName('lookup_order')?.spanContext().spanId);
  expect(refund?.spanId).toBe(byName('refund_order')?.spanContext().spanId);

  expect(await verifyLog(join(dir, 'audit'), { verifierKey, deep: true })).toMatchObject({
    ok: true,
    keyPinned: true,
  });
  return { records, lookup, denied, refund, approval };
}

// The OpenAI Agents SDK guide (docs/guides/openai-agents.md), runnable and offline: the SDK's real run
// loop, driven by its ScriptedModel instead of an LLM, with every tool call going through Writ.
//
// alice reports a damaged item. The agent looks the order up (read-only: allowed), tries to delete the
// customer (outside the task's scope: denied; the model reads the refusal and carries on) and refunds
// the order (high risk: the run stops at the SDK's own approval interruption). The state is serialised
// as an app would store it, beside the Writ task id; Maria approves; the run resumes from the stored
// string, in the task that asked, and the refund runs.
import { Agent, RunState, run, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { approveCall, withWrit } from '@writ/openai-agents';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';

const maria = {
  kind: 'human' as const,
  id: 'maria@example.com',
  name: 'Maria (support lead)',
  assurance: 'asserted' as const,
};

export interface SupportDeskResult {
  /** The one task of both requests (the interrupted run and its resume, which continues it). */
  readonly taskId: string;
  readonly correlationId: string;
  /** What the tools actually did. */
  readonly executed: readonly string[];
  /** The tool output the model read for the denied call. */
  readonly modelReadAfterDeny: string | undefined;
  /** The call the run stopped for, and the size of the stored state. */
  readonly interrupted: { readonly tool: string | undefined; readonly args: string | undefined };
  readonly storedStateChars: number;
  readonly finalOutput: string | undefined;
  readonly auditDir: string;
  readonly verifierKey: string;
}

export async function runSupportDesk(options: { dir: string }): Promise<SupportDeskResult> {
  // Keep the SDK's own tracing on (its trace ids go into Writ's records) but in this process: no
  // exporter, so nothing is sent to OpenAI.
  setTracingDisabled(false);
  setTraceProcessors([]);

  const writ = createWrit({
    dir: options.dir,
    service: 'support-desk',
    agents: [
      defineAgent({
        id: 'support-bot',
        owner: 'support-platform@example.com',
        purpose: 'Resolve customer tickets',
        scope: ['orders:*', 'customers:*'],
      }),
    ],
  });
  const { localIdentity, fileAudit } = await writ.ready();

  // Ordinary Agents SDK tools: Writ needs no change to them.
  const executed: string[] = [];
  const lookupOrder = tool({
    name: 'lookup_order',
    description: 'Read an order',
    parameters: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) => {
      executed.push(`lookup_order ${orderId}`);
      return { orderId, status: 'delivered, damaged', total: 480 };
    },
  });
  const refundOrder = tool({
    name: 'refund_order',
    description: 'Refund part of an order',
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async ({ orderId, amount }) => {
      executed.push(`refund_order ${orderId} ${amount}`);
      return `refunded ${amount} on order ${orderId}`;
    },
  });
  const deleteCustomer = tool({
    name: 'delete_customer',
    description: 'Delete a customer account',
    parameters: z.object({ customerId: z.string() }),
    execute: async ({ customerId }) => {
      executed.push(`delete_customer ${customerId}`);
      return 'deleted';
    },
  });

  // The model is scripted: these are the turns an LLM would take.
  const model = new ScriptedModel([
    [functionCall('lookup_order', { orderId: '42' }, { callId: 'call_lookup' })],
    [functionCall('delete_customer', { customerId: 'cus_7' }, { callId: 'call_delete' })],
    [functionCall('refund_order', { orderId: '42', amount: 250 }, { callId: 'call_refund' })],
    [assistantMessage('I refunded 250 on order 42. Sorry about the damaged item!')],
  ]);

  // What Writ needs to know beyond the SDK's tool definitions: permissions, risk, read-only.
  const agent = withWrit(
    new Agent({
      name: 'support-bot',
      instructions: 'Resolve the ticket.',
      model,
      tools: [lookupOrder, refundOrder, deleteCustomer],
    }),
    {
      writ,
      tools: {
        lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
        refund_order: { permission: 'orders:refund', risk: 'high' },
        delete_customer: { permission: 'customers:delete' },
      },
    },
  );

  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
  const ticket = { requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] };

  // Request 1: alice writes in. The run stops when the refund needs approval; the app stores the state
  // and, beside it, the Writ task id (the SDK's approval item cannot carry it).
  const first = await writ.task({ ...ticket, intent: 'Order 42 arrived damaged' }, async (task) => ({
    taskId: task.attribution.taskId,
    correlationId: task.attribution.correlationId,
    result: await run(agent, 'Order 42 arrived damaged, can I get a refund?'),
  }));
  const [pending] = first.result.interruptions;
  const stored = { state: first.result.state.toString(), taskId: first.taskId };

  // Request 2: Maria approves in the back office; the run resumes from the stored string, in the task
  // that asked (`resume`): an approval binds one call of one task of one requester. In any other task
  // the approval would be refused and the refund judged afresh.
  const resumed = await writ.task({ ...ticket, resume: stored.taskId }, async () => {
    const state = await RunState.fromString(agent, stored.state);
    for (const item of state.getInterruptions()) approveCall(state, item, { approver: maria });
    return run(agent, state);
  });
  await writ.close();

  const afterDeny = model.calls[2]?.request.input;
  let modelReadAfterDeny: string | undefined;
  for (const item of typeof afterDeny === 'string' ? [] : (afterDeny ?? [])) {
    if (item.type === 'function_call_result' && item.callId === 'call_delete') {
      const output = item.output;
      if (typeof output === 'string') modelReadAfterDeny = output;
      else if (!Array.isArray(output) && output.type === 'text') modelReadAfterDeny = output.text;
    }
  }
  return {
    taskId: first.taskId,
    correlationId: first.correlationId,
    executed,
    modelReadAfterDeny,
    interrupted: { tool: pending?.name, args: pending?.arguments },
    storedStateChars: stored.state.length,
    finalOutput: resumed.finalOutput,
    auditDir: fileAudit?.dir ?? '',
    verifierKey: fileAudit?.verifierKey ?? '',
  };
}

interface LoggedRecord {
  readonly kind: string;
  readonly taskId: string;
  readonly call?: {
    readonly id: string;
    readonly name: string;
    readonly framework?: { readonly ids?: Record<string, string> };
  };
  readonly decision?: { readonly effect: string };
  readonly refusal?: { readonly code: string };
  readonly approval?: { readonly approved: boolean; readonly approver: { readonly id: string } | null };
  readonly outcome?: { readonly status: string };
}

/** What happened, one line per step, read back from the audit log (the evidence, not the app's memory). */
export async function describeRun(result: SupportDeskResult): Promise<string[]> {
  const { readLines } = await import('@writ/audit');
  const records: LoggedRecord[] = [];
  for await (const line of readLines(result.auditDir)) records.push(JSON.parse(line.bytes.toString()).r);
  const lines: string[] = [];
  for (const r of records) {
    if (r.kind !== 'decision' || r.call === undefined) continue;
    const outcome = records.find((o) => o.kind === 'outcome' && o.call?.id === r.call?.id)?.outcome?.status;
    const approval = records.find((a) => a.kind === 'approval' && a.call?.id === r.call?.id)?.approval;
    const answer =
      approval === undefined
        ? ''
        : ` (${approval.approved ? 'approved' : 'rejected'} by ${approval.approver?.id ?? 'unknown'})`;
    const refusal = r.refusal === undefined ? '' : ` ${r.refusal.code}`;
    lines.push(
      `${r.call.name.padEnd(16)} ${String(r.decision?.effect).padEnd(17)}${answer}${refusal} -> ${outcome}  [SDK trace ${r.call.framework?.ids?.traceId ?? '-'}]`,
    );
  }
  return lines;
}

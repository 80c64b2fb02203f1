// Shared by the tests: a zero-config Writ in a temp dir, three order-desk tools written the LangChain
// way, their Writ facts, and readers for the audit log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool } from '@langchain/core/tools';
import { trace } from '@opentelemetry/api';
import { readLines, verifyLog } from '@writ/audit';
import type { AdapterToolHints } from '@writ/core/adapter';
import { type CreateWritOptions, createWrit, type TaskHandle, type WritRuntime } from 'writ';
import { z } from 'zod';

const orderResource = (args: unknown) => ({
  type: 'Order',
  id: String((args as { orderId: string }).orderId),
});

/** What the shipped Cedar policy needs to know about each tool. */
export const hints: Record<string, AdapterToolHints> = {
  lookup_order: { permission: 'orders:read', annotations: { readOnly: true }, resource: orderResource },
  refund_order: { permission: 'orders:refund', risk: 'high', resource: orderResource },
  delete_customer: {
    permission: 'customers:delete',
    resource: (args) => ({ type: 'Customer', id: String((args as { customerId: string }).customerId) }),
  },
};

/** The hints of some of the tools (hints must name only tools that are given). */
export const hintsFor = (...names: string[]): Record<string, AdapterToolHints> =>
  Object.fromEntries(names.map((name) => [name, hints[name] as AdapterToolHints]));

/** The tools, counting every time their own code runs. */
export function orderTools() {
  const executed: string[] = [];
  const lookupOrder = tool(
    async ({ orderId }) => {
      executed.push('lookup_order');
      return { orderId, status: 'delivered', total: 480 };
    },
    { name: 'lookup_order', description: 'Read an order', schema: z.object({ orderId: z.string() }) },
  );
  const refundOrder = tool(
    async ({ orderId, amount }) => {
      executed.push('refund_order');
      // the payment provider call: a child of Writ's execute_tool span
      await trace.getTracer('payments').startActiveSpan('payments.refund', async (span) => span.end());
      return { orderId, refunded: amount };
    },
    {
      name: 'refund_order',
      description: 'Refund part of an order',
      schema: z.object({ orderId: z.string(), amount: z.number().positive() }),
    },
  );
  const deleteCustomer = tool(
    async ({ customerId }) => {
      executed.push('delete_customer');
      return `deleted ${customerId}`;
    },
    {
      name: 'delete_customer',
      description: 'Delete a customer',
      schema: z.object({ customerId: z.string() }),
    },
  );
  return { executed, lookupOrder, refundOrder, deleteCustomer };
}

/** An audit record as the tests read it. */
export interface AuditRecord {
  kind: string;
  taskId: string;
  /** task-start: the request continued a task opened earlier. */
  resumed?: true;
  call?: { id: string; name: string; framework?: { name: string; ids?: Record<string, string> } };
  decision?: { effect: string; decisionId: string };
  refusal?: { code: string; message: string };
  approval?: {
    approved: boolean;
    approver: { id: string; kind: string; assurance: string } | null;
    bindingHash: string;
    reason?: string;
  };
  outcome?: { status: string; errorCode?: string };
}

/** A zero-config Writ (local authority, shipped Cedar policies, strict file log) in a temp dir. */
export async function startWrit(options: CreateWritOptions = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'writ-langchain-'));
  /** Tool call ids the policy engine was asked about, in order. */
  const decided: string[] = [];
  const writ: WritRuntime = createWrit({
    ...options,
    dir,
    service: 'support-desk',
    middleware: [
      {
        name: 'count-decisions',
        wrapDecide: (state, next) => {
          decided.push(state.call.id);
          return next();
        },
      },
    ],
  });
  const { localIdentity, fileAudit } = await writ.ready();
  if (localIdentity === undefined || fileAudit === undefined) throw new Error('zero-config Writ expected');
  const aliceToken = await localIdentity.issueRequesterToken({ sub: 'alice@example.com' });
  let closed = false;
  const ticket = { requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] };
  /** Alice's request, in a task of its own. */
  const task = <T>(fn: (task: TaskHandle) => Promise<T>) => writ.task(ticket, fn);
  /** Alice's request that answers an approval: it continues the task that asked. */
  const resume = <T>(taskId: string, fn: (task: TaskHandle) => Promise<T>) =>
    writ.task({ ...ticket, resume: taskId }, fn);
  return {
    dir,
    writ,
    decided,
    aliceToken,
    task,
    resume,
    async records(): Promise<AuditRecord[]> {
      const out: AuditRecord[] = [];
      for await (const line of readLines(join(dir, 'audit'))) out.push(JSON.parse(line.bytes.toString()).r);
      return out;
    },
    /** Closes the instance and verifies its log. */
    async close() {
      closed = true;
      await writ.close();
      return verifyLog(join(dir, 'audit'), { verifierKey: fileAudit.verifierKey, deep: true });
    },
    async cleanup() {
      if (!closed) await writ.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Records of one kind for one tool call. */
export const of = (records: AuditRecord[], kind: string, callId: string) =>
  records.filter((r) => r.kind === kind && r.call?.id === callId);

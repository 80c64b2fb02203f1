// An OpenAI Agents replica for fleet-openai-agents.test.ts (issue 20): one process with its own createWrit
// and its own file audit log, sharing Writ's call ledger and approvals (@writ/postgres) with the other
// replicas in one PostgreSQL. The run loop is the SDK's own (`run`, `RunState`), on its ScriptedModel; a
// paused run travels between replicas as `result.state.toString()`, as an application stores it. Driven
// over IPC (see fleet-members.ts); built packages only.
import { Agent, RunState, run, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import { createInMemoryIdentity, createInMemoryPolicy } from '@writ/core/testing';
import { approveCall, rejectCall, withWrit } from '@writ/openai-agents';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import pg from 'pg';
import { z } from 'zod';
import { serveFleetOps } from './fleet-serve.mjs';

setTraceProcessors([]);
setTracingDisabled(true);
const { DATABASE_URL, AUDIT_DIR, MEMBER, STORE_KEY } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
pool.on('error', () => undefined);
const store = createPostgresStores({ connectionString: DATABASE_URL, signer: hmacRowSigner(STORE_KEY) });
const audit = await createFileAuditSink({ dir: AUDIT_DIR, keyDir: `${AUDIT_DIR}-keys` });
const writ = createWrit({
  service: MEMBER,
  identity: createInMemoryIdentity({
    requesters: { 'token-alice': { id: 'alice@example.com' }, 'token-bob': { id: 'bob@example.com' } },
  }),
  policy: createInMemoryPolicy({
    rules: [{ id: 'refunds', effect: 'approval_required', tool: 'refund_order' }],
  }),
  audit,
  stores: store.stores,
  approvalMode: 'suspend',
  timeouts: { approvalMs: 600_000 },
});

const refundOrder = tool({
  name: 'refund_order',
  description: 'Refund an order',
  parameters: z.object({ orderId: z.string(), amount: z.number() }),
  execute: async ({ orderId, amount }) => {
    await pool.query('INSERT INTO public.executions (tool, call, member) VALUES ($1, $2, $3)', [
      'refund_order',
      orderId,
      MEMBER,
    ]);
    return `refunded ${amount} on order ${orderId} by ${MEMBER}`;
  },
});
/** The agent, with a scripted model whose responses this request of the conversation gives. */
const agentOf = (script) =>
  withWrit(
    new Agent({
      name: 'support',
      instructions: 'Help.',
      model: new ScriptedModel(
        script.map((step) =>
          step.call
            ? [functionCall(step.call.name, step.call.args, { callId: step.call.callId })]
            : [assistantMessage(step.text)],
        ),
      ),
      tools: [refundOrder],
    }),
    { writ },
  );
const outputsOf = (result) =>
  result.newItems
    .filter((item) => item.type === 'tool_call_output_item')
    .map((item) => ({ callId: item.rawItem.callId, output: item.output }));

const ops = {
  /** Request 1: the run pauses for approval; the state and the task id are what the application stores. */
  async ask({ requester, script }) {
    return writ.task({ requester, agent: 'support' }, async (task) => {
      const result = await run(agentOf(script), 'Refund order 42');
      return {
        taskId: task.attribution.taskId,
        state: result.state.toString(),
        interruptions: result.interruptions.map((i) => i.name),
      };
    });
  },
  /** Request 2, on any replica: the human's answer, then the run goes on from the stored state. */
  async answer({ requester, taskId, state: saved, script, how, approver, reason }) {
    return writ.task({ requester, agent: 'support', ...(taskId ? { resume: taskId } : {}) }, async () => {
      const agent = agentOf(script);
      const state = await RunState.fromString(agent, saved);
      for (const item of state.getInterruptions()) {
        if (how === 'approveCall') approveCall(state, item, approver ? { approver } : {});
        else if (how === 'approve') state.approve(item);
        else
          await rejectCall(state, item, { ...(approver ? { approver } : {}), ...(reason ? { reason } : {}) });
      }
      const result = await run(agent, state);
      return { finalOutput: result.finalOutput ?? null, outputs: outputsOf(result) };
    });
  },
  async close() {
    await writ.close?.();
    await store.close();
    await pool.end();
    return true;
  },
};

serveFleetOps(ops, {}, { stack: true });

// A process running a Mastra agent for the fleet Mastra tests (issue 20 item 2): its own createWrit (own
// local authority, own file audit log), Writ's call ledger and approvals shared in PostgreSQL, and
// Mastra's own storage (run snapshots of suspended tools) in the same PostgreSQL through @mastra/pg, so a
// run suspended here can be resumed by another process. The model is Mastra's scripted model (the
// example's, loaded as TypeScript by Node). Driven over IPC by fleet-mastra.test.ts; built packages only.
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { createTool } from '@mastra/core/tools';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { PostgresStore } from '@mastra/pg';
import { createInMemoryIdentity, createInMemoryPolicy } from '@writ/core/testing';
import { isWritApprovalRequest, writTools } from '@writ/mastra';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import pg from 'pg';
import { createWrit } from 'writ';
import { z } from 'zod';
import { scriptedModel } from '../../../examples/mastra/src/scripted-model.ts';
import { serveFleetOps } from './fleet-serve.mjs';

const { DATABASE_URL, WRIT_DIR, MEMBER, STORE_KEY } = process.env;
const offset = 0;
const clock = () => Date.now() + offset;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
pool.on('error', () => undefined);
const store = createPostgresStores({
  connectionString: DATABASE_URL,
  signer: hmacRowSigner(STORE_KEY),
  clock,
});
const writ = createWrit({
  dir: WRIT_DIR,
  service: 'support',
  trustDomain: 'support.example',
  // every member knows alice the same way (replicas behind one identity provider)
  identity: createInMemoryIdentity({ requesters: { 'token-alice': { id: 'alice@example.com' } } }),
  policy: createInMemoryPolicy({
    rules: [{ id: 'refunds', effect: 'approval_required', tool: 'refund_order' }],
  }),
  stores: store.stores,
  approvalMode: 'suspend',
  clock,
  timeouts: { approvalMs: 60_000 },
});
await writ.ready();
const storage = new PostgresStore({ id: 'fleet-mastra', connectionString: DATABASE_URL });

const refundOrder = createTool({
  id: 'refund-order',
  description: 'Refund part of an order',
  inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
  outputSchema: z.object({ orderId: z.string(), refunded: z.number(), by: z.string() }),
  execute: async ({ orderId, amount }) => {
    await pool.query('INSERT INTO public.executions (tool, call, member) VALUES ($1, $2, $3)', [
      'refund_order',
      orderId,
      MEMBER,
    ]);
    return { orderId, refunded: amount, by: MEMBER };
  },
});
const tools = writTools({ refund_order: refundOrder }, { writ, defaults: { risk: 'high' } });

// the same wrapped tool as a workflow step: Writ's approval is the workflow's suspend
const step = createStep(tools.refund_order);
const workflow = createWorkflow({
  id: 'refunds',
  inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
  outputSchema: z.object({ orderId: z.string(), refunded: z.number(), by: z.string() }),
})
  .then(step)
  .commit();
const refunds = () =>
  new Mastra({ workflows: { refunds: workflow }, storage, logger: false }).getWorkflow('refunds');

/** A Mastra app on the shared storage whose model plays `script`. */
function agentWith(script) {
  const support = new Agent({
    id: 'support',
    name: 'Support',
    instructions: 'Resolve the ticket.',
    model: scriptedModel(script),
    tools,
  });
  return new Mastra({ agents: { support }, storage, logger: false }).getAgent('support');
}

/** Reads a run to its end: the Writ approval it suspended with, the tool results and errors, the text. */
async function drain(stream) {
  const out = { request: undefined, results: [], errors: [], text: '' };
  for await (const chunk of stream.fullStream) {
    if (chunk.type === 'tool-call-suspended' && isWritApprovalRequest(chunk.payload.suspendPayload)) {
      out.request = chunk.payload.suspendPayload;
    }
    if (chunk.type === 'tool-result') out.results.push(chunk.payload.result);
    if (chunk.type === 'tool-error')
      out.errors.push(String(chunk.payload.error?.message ?? chunk.payload.error));
    if (chunk.type === 'text-delta') out.text += chunk.payload.text;
  }
  return { ...out, runId: stream.runId };
}

const ticket = { requester: 'token-alice', agent: 'support-bot' };
const memoryOf = (thread) => ({ thread, resource: 'alice' });
const failure = (error) => ({
  ok: false,
  code: error?.code ?? String(error),
  details: error?.details ?? null,
});

const ops = {
  /** A new run asking for a refund: suspends for Writ's approval. */
  async ask({ thread, callId, orderId, amount }) {
    const agent = agentWith([{ tools: [{ id: callId, name: 'refund_order', args: { orderId, amount } }] }]);
    return writ.task(ticket, async () =>
      drain(await agent.stream(`Refund ${amount} on ${orderId}`, { memory: memoryOf(thread) })),
    );
  },
  /** The human's answer, given in this process: Mastra resumes the run from the shared storage. */
  async answer({ thread, taskId, runId, callId, approved }) {
    const agent = agentWith([{ text: approved ? 'Refunded.' : 'The refund was declined.' }]);
    return writ.task({ ...ticket, resume: taskId }, async () => {
      const options = { runId, toolCallId: callId, memory: memoryOf(thread) };
      return drain(await (approved ? agent.approveToolCall(options) : agent.declineToolCall(options)));
    });
  },
  /** A workflow run whose refund step suspends for Writ's approval. */
  async startWorkflow({ orderId, amount }) {
    return writ.task(ticket, async () => {
      const run = await refunds().createRun();
      const result = await run.start({ inputData: { orderId, amount } });
      return { runId: run.runId, status: result.status, request: result.steps?.[step.id]?.suspendPayload };
    });
  },
  /** The answer, in this process: the run is loaded from the shared storage and resumed. */
  async resumeWorkflow({ runId, taskId, approved }) {
    return writ.task({ ...ticket, resume: taskId }, async () => {
      const run = await refunds().createRun({ runId });
      const result = await run.resume({ step: step.id, resumeData: { approved } });
      return { status: result.status, result: result.result, error: result.error?.message };
    });
  },
  /** The wrapped tool run where Mastra offers no suspend (a direct call with a tool call id). */
  async direct({ taskId, callId, orderId, amount }) {
    return writ
      .task({ ...ticket, ...(taskId ? { resume: taskId } : {}) }, (task) =>
        tools.refund_order
          .execute({ orderId, amount }, { agent: { toolCallId: callId } })
          .then((value) => ({ ok: true, value, taskId: task.attribution.taskId })),
      )
      .catch(failure);
  },
  async close() {
    await writ.close();
    await store.close();
    await storage.close?.();
    await pool.end();
    return true;
  },
};

serveFleetOps(ops);

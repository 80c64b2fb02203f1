// A LangGraph replica for fleet-langgraph.test.ts (issue 20): one process with its own createWrit and its
// own file audit log, sharing Writ's call ledger and approvals (@writ/postgres) and LangGraph's
// checkpoints (@langchain/langgraph-checkpoint-postgres) with the other replicas in one PostgreSQL. The
// graph is a real StateGraph: an agent node on LangChain's scripted fake model, and a ToolNode running
// writTools. Driven over IPC (see fleet-members.ts); built packages only.
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { Command, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import { createInMemoryIdentity, createInMemoryPolicy } from '@writ/core/testing';
import { isWritApprovalRequest, writMiddleware, writTools } from '@writ/langchain';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import { createAgent } from 'langchain';
import pg from 'pg';
import { z } from 'zod';
import { serveFleetOps } from './fleet-serve.mjs';

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
    rules: [
      { id: 'refunds', effect: 'approval_required', tool: 'refund_order' },
      { id: 'lookups', effect: 'allow', tool: 'lookup_order' },
    ],
  }),
  audit,
  stores: store.stores,
  approvalMode: 'suspend',
  timeouts: { approvalMs: 600_000 },
});

// LangGraph's own PostgreSQL checkpointer, shared by every replica (its tables are set up by the test)
const saver = PostgresSaver.fromConnString(DATABASE_URL);
// "A dies right after the tool ran": once armed, the first checkpoint write after a tool executed here
// kills this process (SIGKILL) before LangGraph can store the tools node's result
let dieAfterTool = false;
let executedHere = false;
for (const method of ['put', 'putWrites']) {
  const original = saver[method].bind(saver);
  saver[method] = (...args) => {
    if (dieAfterTool && executedHere) process.kill(process.pid, 'SIGKILL');
    return original(...args);
  };
}

const execute = (name) => async (args) => {
  await pool.query('INSERT INTO public.executions (tool, call, member) VALUES ($1, $2, $3)', [
    name,
    args.orderId,
    MEMBER,
  ]);
  executedHere = true;
  return `${name} done for order ${args.orderId} by ${MEMBER}`;
};
const plainTools = [
  tool(execute('refund_order'), {
    name: 'refund_order',
    description: 'Refund an order',
    schema: z.object({ orderId: z.string(), amount: z.number() }),
  }),
  tool(execute('lookup_order'), {
    name: 'lookup_order',
    description: 'Look an order up',
    schema: z.object({ orderId: z.string() }),
  }),
];
const tools = writTools(plainTools, { writ });
const middleware = writMiddleware({ writ });

/**
 * The graph, with a scripted model whose responses this request of the conversation gives: a StateGraph
 * whose ToolNode runs writTools, or (`kind: 'agent'`) a createAgent with writMiddleware.
 */
function graphOf(script, kind) {
  let model = fakeModel();
  for (const step of script)
    model = step.tools ? model.respondWithTools(step.tools) : model.respond(new AIMessage(step.text));
  if (kind === 'agent')
    return createAgent({ model, tools: plainTools, middleware: [middleware], checkpointer: saver });
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode('tools', new ToolNode(tools))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', (state) => (state.messages.at(-1)?.tool_calls?.length ? 'tools' : END))
    .addEdge('tools', 'agent')
    .compile({ checkpointer: saver });
}

const ops = {
  /** One request of a conversation: a user message, or the answer to an approval (`resume`). */
  async invoke({ requester, taskId, threadId, script, message, resume, kind }) {
    const graph = graphOf(script, kind);
    const input =
      resume === undefined ? { messages: [{ role: 'user', content: message }] } : new Command({ resume });
    return writ.task({ requester, agent: 'support', ...(taskId ? { resume: taskId } : {}) }, async (task) => {
      const result = await graph.invoke(input, { configurable: { thread_id: threadId } });
      return {
        taskId: task.attribution.taskId,
        interrupts: (result.__interrupt__ ?? []).map((i) => i.value).filter(isWritApprovalRequest),
        tools: result.messages
          .filter((m) => ToolMessage.isInstance(m))
          .map((m) => ({
            id: m.tool_call_id,
            status: m.status,
            content: m.content,
            artifact: m.artifact ?? null,
          })),
        last: result.messages.at(-1)?.content ?? null,
      };
    });
  },
  async dieAfterTool() {
    dieAfterTool = true;
    executedHere = false;
    return true;
  },
  async close() {
    await writ.close?.();
    await store.close();
    await saver.end();
    await pool.end();
    return true;
  },
};

serveFleetOps(ops, {}, { stack: true });

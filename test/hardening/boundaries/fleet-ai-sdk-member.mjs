// One serverless instance for fleet-ai-sdk.test.ts (issue 20): its own zero-config `createWrit` from `writ`
// (the fleet's shared authority key in SHARED_DIR/keys, its own file audit log in AUDIT_DIR) on the shared
// PostgreSQL (`postgres(url)`), serving AI SDK requests: a real `generateText` loop driven by the AI SDK's
// own MockLanguageModelV4, with `writTools` + `writToolApproval` + `recordApprovalDenials`. Each request
// gets its messages and the model's script over IPC, as JSON, the way a client posts them to any instance.
// Built packages only.
import { setTimeout as sleep } from 'node:timers/promises';
import { recordApprovalDenials, writToolApproval, writTools } from '@writ/ai-sdk';
import { postgres } from '@writ/postgres';
import { generateText, isStepCount, streamText, tool } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import pg from 'pg';
import { createWrit, getToolContext } from 'writ';
import { z } from 'zod';
import { serveFleetOps } from './fleet-serve.mjs';

const { DATABASE_URL, SHARED_DIR, AUDIT_DIR, MEMBER } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
pool.on('error', () => undefined);

const store = postgres(DATABASE_URL); // WRIT_STORE_KEY from the environment, as deployed
const writ = createWrit({
  service: 'support-desk',
  dir: SHARED_DIR,
  audit: { dir: AUDIT_DIR },
  publicDir: false,
  // the fleet's authority key is in SHARED_DIR/keys (the test starts A first, which creates it, then B,
  // which loads it: a requester token issued by either verifies on both); each log's own signing key is
  // created beside it
  store,
});
const { localIdentity, fileAudit } = await writ.ready();

const tools = writTools(
  {
    refund_order: tool({
      description: 'Refund part of an order',
      inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
      execute: async ({ orderId, amount }) => {
        const requester = getToolContext().attribution.requester?.id ?? null;
        await pool.query('INSERT INTO public.executions (order_id, member, requester) VALUES ($1, $2, $3)', [
          orderId,
          MEMBER,
          requester,
        ]);
        await sleep(150); // a payment takes a while: a concurrent resume of the same call arrives meanwhile
        return { orderId, refunded: amount, by: MEMBER };
      },
    }),
  },
  {
    writ,
    tools: {
      refund_order: {
        permission: 'orders:refund',
        risk: 'high', // the shipped Cedar policy asks a human for high-risk calls in scope
        resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
      },
    },
  },
);

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
/** A scripted turn as the model's result: `{ call: [toolCallId, toolName, input] }` or `{ text }`. */
function turnResult(turn) {
  if (turn.text !== undefined)
    return {
      content: [{ type: 'text', text: turn.text }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage,
      warnings: [],
    };
  const [toolCallId, toolName, input] = turn.call;
  return {
    content: [{ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage,
    warnings: [],
  };
}

/** The same turn as stream parts (for `streamText`). */
function streamParts({ content, finishReason }) {
  const parts = [{ type: 'stream-start', warnings: [] }];
  for (const [i, part] of content.entries()) {
    if (part.type === 'tool-call') parts.push(part);
    else
      parts.push(
        { type: 'text-start', id: `t${i}` },
        { type: 'text-delta', id: `t${i}`, delta: part.text },
        { type: 'text-end', id: `t${i}` },
      );
  }
  parts.push({ type: 'finish', finishReason, usage });
  return parts;
}

/** The AI SDK's mock model, answering each call (generate or stream) with the next scripted turn. */
function scriptedModel(turns) {
  const script = [...turns];
  const prompts = [];
  const next = (options) => {
    prompts.push(options.prompt);
    const turn = script.shift();
    if (turn === undefined) throw new Error('the scripted model ran out of turns');
    return turnResult(turn);
  };
  const model = new MockLanguageModelV4({
    doGenerate: async (options) => next(options),
    doStream: async (options) => ({ stream: convertArrayToReadableStream(streamParts(next(options))) }),
  });
  return { model, prompts };
}

/** The tool results the model was handed in its last prompt, by tool call id (what it "saw"). */
function toolResultsIn(prompt) {
  const results = {};
  for (const message of prompt ?? [])
    if (message.role === 'tool')
      for (const part of message.content)
        if (part.type === 'tool-result') results[part.toolCallId] = part.output;
  return results;
}

const ops = {
  /** A requester token for a user, from the fleet's local identity (any instance can issue one). */
  async token({ sub }) {
    return localIdentity.issueRequesterToken({ sub });
  },
  /**
   * One HTTP request of the conversation: the client's messages in, the response out. `resume` is the
   * task id the application kept with the conversation after the first request (the docs' way).
   */
  async request({ token, resume, messages, turns, stream }) {
    const { model, prompts } = scriptedModel(turns);
    const task = {
      requester: token,
      agent: 'support-bot',
      scope: ['orders:*'],
      ...(resume ? { resume } : {}),
    };
    return writ.task(task, async ({ attribution }) => {
      const settings = {
        model,
        tools,
        toolApproval: writToolApproval(),
        onStart: recordApprovalDenials,
        messages,
        stopWhen: isStepCount(5),
      };
      const result = stream ? streamText(settings) : await generateText(settings);
      const [text, content, responseMessages] = await Promise.all([
        result.text,
        result.content,
        result.responseMessages,
      ]);
      return {
        taskId: attribution.taskId,
        text,
        // what the server sends back to the client, as JSON
        responseMessages: JSON.parse(JSON.stringify(responseMessages)),
        approvalRequests: content
          .filter((p) => p.type === 'tool-approval-request')
          .map((p) => ({
            approvalId: p.approvalId,
            toolCallId: p.toolCall.toolCallId,
            isAutomatic: p.isAutomatic === true,
          })),
        toolResults: toolResultsIn(prompts.at(-1)),
      };
    });
  },
  async verifierKey() {
    return fileAudit.verifierKey;
  },
  async close() {
    await writ.close();
    await store.close();
    await pool.end();
    return true;
  },
};

serveFleetOps(ops);

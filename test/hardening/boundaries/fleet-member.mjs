// A fleet member for the fleet acceptance tests (issue 20): one process with its own createWrit, its own
// file audit log, and the shared PostgreSQL stores. Driven over IPC by fleet.test.ts; built packages only.
import { setTimeout as sleep } from 'node:timers/promises';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import { createInMemoryIdentity, createInMemoryPolicy } from '@writ/core/testing';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import pg from 'pg';
import { serveFleetOps } from './fleet-serve.mjs';

const { DATABASE_URL, AUDIT_DIR, MEMBER, STORE_KEY } = process.env;
let offset = 0;
const clock = () => Date.now() + offset;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
pool.on('error', () => undefined);
const store = createPostgresStores({
  connectionString: DATABASE_URL,
  signer: hmacRowSigner(STORE_KEY),
  clock,
});
const audit = await createFileAuditSink({ dir: AUDIT_DIR, keyDir: `${AUDIT_DIR}-keys` });
const writ = createWrit({
  service: MEMBER,
  identity: createInMemoryIdentity({ requesters: { 'token-alice': { id: 'alice@example.com' } } }),
  policy: createInMemoryPolicy({
    rules: [
      { id: 'refunds', effect: 'approval_required', tool: 'refund_order' },
      { id: 'credits', effect: 'allow', tool: 'issue_credit' },
    ],
  }),
  audit,
  stores: store.stores,
  approvalMode: 'suspend',
  clock,
  timeouts: { approvalMs: 60_000 },
});
const execute = (name) => async (args) => {
  await pool.query('INSERT INTO public.executions (tool, call, member) VALUES ($1, $2, $3)', [
    name,
    args.call,
    MEMBER,
  ]);
  if (args.delayMs) await sleep(args.delayMs);
  return { done: name, amount: args.amount, by: MEMBER };
};
const tools = {
  refund_order: adaptTool(
    'fleet-test',
    { name: 'refund_order', description: 'Refund' },
    execute('refund_order'),
    { writ },
  ),
  issue_credit: adaptTool(
    'fleet-test',
    { name: 'issue_credit', description: 'Credit' },
    execute('issue_credit'),
    { writ },
  ),
};
const inTask = (taskId, fn) =>
  writ.task({ requester: 'token-alice', agent: 'support', ...(taskId ? { resume: taskId } : {}) }, fn);
const failure = (error) => ({
  ok: false,
  code: error?.code ?? String(error),
  details: error?.details ?? null,
});

const ops = {
  async check({ taskId, tool, callId, args }) {
    const result = await inTask(taskId, () => tools[tool].check(args, { toolCallId: callId }));
    return {
      effect: result.effect,
      bindingHash: result.bindingHash,
      expiresAt: result.expiresAt,
      taskId: result.taskId,
    };
  },
  async run({ taskId, tool, callId, args }) {
    return inTask(taskId, () => tools[tool].run(args, { toolCallId: callId })).then(
      (value) => ({ ok: true, value }),
      failure,
    );
  },
  async answer({ bindingHash, approved }) {
    const answer = {
      approved,
      approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
      answeredAt: clock(),
    };
    return store.approvals.answer(bindingHash, answer);
  },
  async list() {
    return store.approvals.list();
  },
  async clock({ offsetMs }) {
    offset = offsetMs;
    return offset;
  },
  async close() {
    await writ.close?.();

    await store.close();
    await pool.end();
    return true;
  },
};

serveFleetOps(ops);

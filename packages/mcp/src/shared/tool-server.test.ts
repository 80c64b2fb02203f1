// ToolServer through the SDK 1.x glue (instrumentServer): a real McpServer and Client over the SDK's
// InMemoryTransport, a Writ instance on @writ/core's in-memory components.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { createWrit, type Writ } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy, type InMemoryAuditSink } from '@writ/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifiedApproverPolicy } from '../__support__/sides.js';
import { type InstrumentServerOptions, instrumentServer } from '../server.js';
import type { VerifiedInbound } from './options.js';
import { REFUSAL_META_KEY } from './refusal.js';

const AUDIENCE = 'https://orders.example/mcp';
const INBOUND: VerifiedInbound = {
  audience: [AUDIENCE],
  taskId: 'task-from-caller',
  subject: 'alice@example.com',
  actors: ['spiffe://writ.test/agent/support-bot'],
  autonomous: false,
  scope: ['*'],
  issuer: 'https://issuer.writ.test',
  jti: 'jti-1',
  expiresAt: Date.now() + 3_600_000,
};

let closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function serve(options: {
  writ?: Writ | undefined;
  server?: Partial<InstrumentServerOptions>;
  answers?: ElicitResult[];
}) {
  const ran: string[] = [];
  const mcpServer = new McpServer({ name: 'orders', version: '1.0.0' });
  const refundTool = mcpServer.registerTool(
    'refund_order',
    { description: 'Refund an order', inputSchema: { orderId: z.string() } },
    async ({ orderId }) => {
      ran.push(orderId);
      return { content: [{ type: 'text' as const, text: `refunded ${orderId}` }] };
    },
  );
  instrumentServer(mcpServer, {
    ...(options.writ === undefined ? {} : { writ: options.writ }),
    agent: 'orders-mcp',
    audience: AUDIENCE,
    verifyTaskToken: () => INBOUND,
    ...options.server,
  });
  const client = new Client({ name: 'support-bot', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  const answers = [...(options.answers ?? [])];
  const elicited: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    elicited.push(request.params.message);
    return answers.shift() ?? { action: 'cancel' };
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await mcpServer.connect(serverTransport);
  await client.connect(clientTransport);
  closers.push(
    () => client.close(),
    () => mcpServer.close(),
  );
  const call = (orderId: string, token: string | null = 'a-task-token') =>
    client.callTool({
      name: 'refund_order',
      arguments: { orderId },
      ...(token === null ? {} : { _meta: { 'io.writ/txn-token': token } }),
    });
  return { refundTool, ran, call, elicited };
}

function writOn(audit: InMemoryAuditSink, effect: 'allow' | 'deny' | 'approval_required' = 'allow'): Writ {
  return createWrit({
    audit,
    policy: createInMemoryPolicy({ rules: [{ id: 'refunds', effect, tool: 'refund_order' }] }),
  });
}

const refusalCode = (result: unknown) =>
  (result as { _meta?: Record<string, { code?: string }> })._meta?.[REFUSAL_META_KEY]?.code;

describe('ToolServer', () => {
  it('runs an allowed call in the caller’s task, records it, and runs a replaced handler the same way', async () => {
    const audit = createInMemoryAuditSink();
    const { refundTool, ran, call } = await serve({ writ: writOn(audit) });
    expect((await call('42')).isError).toBeUndefined();
    refundTool.update({
      callback: async () => {
        ran.push('replaced');
        return { content: [{ type: 'text' as const, text: 'replaced' }] };
      },
    });
    expect((await call('43')).isError).toBeUndefined();
    expect(ran).toEqual(['42', 'replaced']);
    const decisions = audit.ofKind('decision');
    expect(decisions.map((d) => [d.taskId, d.decision.effect])).toEqual([
      ['task-from-caller', 'allow'],
      ['task-from-caller', 'allow'],
    ]);
  });

  it('runs each of concurrent calls of one tool with its own handler and arguments', async () => {
    const audit = createInMemoryAuditSink();
    const { ran, call } = await serve({ writ: writOn(audit) });
    const ids = ['1', '2', '3', '4'];
    const results = await Promise.all(ids.map((id) => call(id)));
    expect(results.map((r) => r.content)).toEqual(
      ids.map((id) => [{ type: 'text', text: `refunded ${id}` }]),
    );
    expect([...ran].sort()).toEqual(ids);
    expect(audit.ofKind('decision').map((d) => d.decision.effect)).toEqual(ids.map(() => 'allow'));
  });

  it('answers a refusal as a tool result with its code, without running the tool', async () => {
    const audit = createInMemoryAuditSink();
    const { ran, call } = await serve({ writ: writOn(audit, 'deny') });
    const result = await call('42');
    expect(result.isError).toBe(true);
    expect(refusalCode(result)).toBe('WRIT_POLICY_DENIED');
    expect(ran).toEqual([]);
  });

  it('refuses a call without a task token, recorded in the server agent’s own task', async () => {
    const audit = createInMemoryAuditSink();
    const { ran, call } = await serve({ writ: writOn(audit) });
    const result = await call('42', null);
    expect(refusalCode(result)).toBe('WRIT_TOKEN_INVALID');
    expect(ran).toEqual([]);
    const [decision] = audit.ofKind('decision');
    expect(decision?.refusal?.code).toBe('WRIT_TOKEN_INVALID');
    expect(decision?.taskId).not.toBe('task-from-caller');
  });

  it('refuses every call when there is no Writ instance to run on', async () => {
    const { ran, call } = await serve({ writ: undefined });
    const result = await call('42');
    expect(refusalCode(result)).toBe('WRIT_NOT_CONFIGURED');
    expect(ran).toEqual([]);
  });

  it('asks through elicitation when approval is required: runs when approved, refuses when declined', async () => {
    const audit = createInMemoryAuditSink();
    const { ran, call } = await serve({
      writ: writOn(audit, 'approval_required'),
      answers: [{ action: 'accept', content: { approve: true } }, { action: 'decline' }],
    });
    expect((await call('42')).isError).toBeUndefined();
    const declined = await call('43');
    expect(refusalCode(declined)).toBe('WRIT_APPROVAL_REJECTED');
    expect(ran).toEqual(['42']);
    expect(audit.ofKind('approval').map((a) => a.approval.approved)).toEqual([true, false]);
    // both answered through the client: alice as claimed, never as verified
    expect(audit.ofKind('approval').map((a) => a.approval.approver)).toEqual([
      { assurance: 'claimed', id: 'alice@example.com', issuer: 'https://issuer.writ.test', kind: 'human' },
      { assurance: 'claimed', id: 'alice@example.com', issuer: 'https://issuer.writ.test', kind: 'human' },
    ]);
  });

  it('refuses without asking, recorded with nobody named, when the prompt cannot show everything or the policy wants a verified approver the server cannot verify', async () => {
    const audit = createInMemoryAuditSink();
    const tooBig = await serve({
      writ: writOn(audit, 'approval_required'),
      server: { approvalArgsMaxChars: 64 },
      answers: [{ action: 'accept', content: { approve: true } }],
    });
    const big = await tooBig.call('4'.repeat(100));
    expect(refusalCode(big)).toBe('WRIT_APPROVAL_REJECTED');
    const verifiedOnly = await serve({
      writ: createWrit({ audit, policy: verifiedApproverPolicy(['refund_order']) }),
      answers: [{ action: 'accept', content: { approve: true } }],
    });
    const unverifiable = await verifiedOnly.call('42');
    expect(refusalCode(unverifiable)).toBe('WRIT_APPROVAL_REJECTED');
    expect([...tooBig.ran, ...verifiedOnly.ran]).toEqual([]);
    // nobody was asked: both elicitation answers are still unused
    expect(tooBig.elicited).toEqual([]);
    expect(verifiedOnly.elicited).toEqual([]);
    expect(
      audit.ofKind('approval').map((a) => [a.approval.approved, a.approval.approver, a.approval.reason]),
    ).toEqual([
      [
        false,
        null,
        expect.stringMatching(
          /^the arguments are too large to show the approver \(\d+ characters, the limit is 64\)/,
        ),
      ],
      [
        false,
        null,
        expect.stringMatching(/^the policy requires a verified approver and this server cannot verify one/),
      ],
    ]);
  });

  it('refuses a credential issued for another audience, and a verifier that does not say which audience it verified', async () => {
    const audit = createInMemoryAuditSink();
    const elsewhere = await serve({
      writ: writOn(audit),
      server: {
        verifyTaskToken: () => ({
          ...INBOUND,
          audience: ['https://payments.example', 'https://issuer.writ.test'],
        }),
      },
    });
    const mismatch = await elsewhere.call('42');
    expect(refusalCode(mismatch)).toBe('WRIT_AUDIENCE_MISMATCH');
    const { audience: _audience, ...unsaid } = INBOUND;
    const silent = await serve({
      writ: writOn(audit),
      server: { verifyTaskToken: () => unsaid as VerifiedInbound },
    });
    const unknown = await silent.call('43');
    expect(refusalCode(unknown)).toBe('WRIT_TOKEN_INVALID');
    // the same server in another spelling is this server
    const spelled = await serve({
      writ: writOn(audit),
      server: { verifyTaskToken: () => ({ ...INBOUND, audience: 'HTTPS://Orders.Example:443/mcp' }) },
    });
    expect((await spelled.call('44')).isError).toBeUndefined();
    expect([...elsewhere.ran, ...silent.ran, ...spelled.ran]).toEqual(['44']);
    expect(audit.ofKind('decision').map((d) => [d.refusal?.code ?? 'ran', d.requester?.id ?? null])).toEqual([
      ['WRIT_AUDIENCE_MISMATCH', null],
      ['WRIT_TOKEN_INVALID', null],
      ['ran', 'alice@example.com'],
    ]);
  });
});

import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { McpServer } from '@modelcontextprotocol/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import { RECEIPT_META_KEY, refusalMessage } from '@writ/core/adapter';
import type { AuditReceipt } from '@writ/core/plugin';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalRows, type LogRecord, ORDERS_AUDIENCE, text } from '../__support__/sides.js';
import { instrumentServer as instrumentServerV1 } from '../index.js';
import { type Parties, type PartiesOptions, setupParties } from './__support__/parties.js';
import { APPROVAL_META_KEY, APPROVAL_SCHEMA, instrumentServer, REFUSAL_META_KEY } from './index.js';

let tracing: TestTracing;
let parties: Parties | undefined;
beforeEach(() => {
  tracing = startTestTracing();
});
afterEach(async () => {
  await parties?.cleanup();
  parties = undefined;
  await tracing.shutdown();
});

async function inMemory(options?: PartiesOptions): Promise<Parties> {
  parties = await setupParties(options);
  await parties.connectInMemory();
  return parties;
}

const CHAIN = ['spiffe://support.example/agent/support-bot', 'spiffe://orders.example/agent/orders-mcp'];
const kind = (records: LogRecord[], k: string) => records.filter((r) => r.kind === k);

describe('@writ/mcp/v2 over the SDK 2.x InMemoryTransport', () => {
  it('allowed and denied calls: the server span is the client span’s child; records carry the client’s task and the verified chain', async () => {
    const p = await inMemory();
    const { task, allowed, denied } = await p.asAlice(async ({ attribution }) => ({
      task: attribution,
      allowed: await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
      denied: await p.mcpClient.callTool({ name: 'delete_customer', arguments: { customerId: 'c-7' } }),
    }));
    await p.close();

    expect(allowed.isError).toBeFalsy();
    expect(text(allowed)).toBe('{"orderId":"42","status":"shipped"}');
    expect(p.ran).toEqual(['lookup_order:42']);
    expect(p.seen[0]).toMatchObject({
      taskId: task.taskId,
      requester: { id: 'alice@example.com', assurance: 'verified', issuer: p.clientIssuer },
    });

    const records = await p.server.records();
    for (const r of records) {
      expect([r.taskId, r.correlationId]).toEqual([task.taskId, task.correlationId]);
      expect(r.chain.map((c: LogRecord) => [c.id, c.assurance])).toEqual(CHAIN.map((id) => [id, 'verified']));
    }
    const decisions = kind(records, 'decision');
    expect(decisions.map((d) => [d.call.name, d.decision.effect])).toEqual([
      ['lookup_order', 'allow'],
      ['delete_customer', 'deny'],
    ]);
    expect(decisions[0]?.call.framework).toEqual({ name: 'mcp', ids: { requestId: expect.any(String) } });
    expect(kind(records, 'outcome').map((o) => o.outcome.status)).toEqual(['ok', 'refused']);

    // the denied call: what the model reads is exactly the recorded refusal
    const deny = decisions[1] as LogRecord;
    expect(denied.isError).toBe(true);
    expect(text(denied)).toBe(refusalMessage(new WritError(deny.refusal.code, deny.refusal.message)));
    expect(text(denied)).toMatch(
      /^Refused by Writ \(WRIT_POLICY_DENIED\): delete_customer .*The tool was not run\.$/,
    );
    expect(denied._meta?.[REFUSAL_META_KEY]).toEqual({ code: 'WRIT_POLICY_DENIED' });
    // receipts both ways: each result names the server's decision record for it (log, index, leaf)
    const receipts = [allowed, denied].map((r) => r._meta?.[RECEIPT_META_KEY] as AuditReceipt);
    expect(receipts.map((r) => r.index)).toEqual(decisions.map((d) => records.indexOf(d)));
    for (const r of receipts)
      expect(r).toEqual({
        log: expect.any(String),
        index: r.index,
        leafHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });

    expect(tracing.tree()).toBe(
      [
        'tools/call lookup_order',
        '  execute_tool lookup_order',
        'tools/call delete_customer',
        '  execute_tool delete_customer',
      ].join('\n'),
    );
    for (const serverSpan of tracing.toolSpans()) {
      const clientSpan = tracing.parentOf(serverSpan);
      expect(clientSpan?.kind).toBe(SpanKind.CLIENT);
      expect(serverSpan.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
      expect(serverSpan.attributes['writ.chain']).toEqual(['alice@example.com', ...CHAIN]);
    }
    const deniedClient = tracing.spans().find((s) => s.name === 'tools/call delete_customer');
    expect(deniedClient?.status.code).toBe(SpanStatusCode.ERROR);
    expect(deniedClient?.attributes['writ.task.id']).toBe(task.taskId);
    expect(await p.client.verify()).toMatchObject({ ok: true });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('approval through elicitation: accepted runs the call, declined refuses it; both recorded with the approver', async () => {
    const p = await inMemory();
    p.answers.push(
      { action: 'accept', content: { approve: true, reason: 'customer called' } },
      { action: 'decline' },
    );
    const [approved, declined] = await p.asAlice(async () => [
      await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '42' } }),
      await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '43' } }),
    ]);
    await p.close();

    expect(text(approved)).toBe('refunded 42');
    expect(declined?.isError).toBe(true);
    expect(text(declined)).toBe(
      'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the user declined in the MCP client. The tool was not run.',
    );
    expect(p.ran).toEqual(['refund_order:42']);
    expect(p.elicitations[0]).toMatchObject({ mode: 'form', requestedSchema: APPROVAL_SCHEMA });
    const records = await p.server.records();
    const approvals = kind(records, 'approval');
    expect(p.elicitations[0]?.message).toMatch(
      /^refund_order needs human approval \(cedar\).*\. Allow refund_order with these arguments\?\n\nArguments \(complete\):\n\{\n {2}"orderId": "42"\n\}\n\nBinding: sha256:[0-9a-f]{64}$/,
    );
    expect(p.elicitations[0]?.message.endsWith(`Binding: ${approvals[0]?.approval.bindingHash}`)).toBe(true);
    expect(approvalRows(records)).toEqual([
      [true, 'alice@example.com', 'claimed', 'customer called'],
      [false, 'alice@example.com', 'claimed', 'the user declined in the MCP client'],
    ]);
    expect(p.elicitations[0]?._meta?.[APPROVAL_META_KEY]).toEqual({
      tool: 'refund_order',
      args: { orderId: '42' },
      bindingHash: approvals[0]?.approval.bindingHash,
      expiresAt: approvals[0]?.approval.expiresAt,
      verifiedApprover: false,
    });
    expect(kind(records, 'decision').map((d) => [d.decision.effect, d.refusal?.code ?? null])).toEqual([
      ['approval_required', null],
      ['approval_required', 'WRIT_APPROVAL_REJECTED'],
    ]);
    expect(kind(records, 'outcome').map((o) => o.outcome.status)).toEqual(['ok', 'refused']);
    expect(tracing.toolSpans()[0]?.attributes['writ.approval.approver']).toBe('alice@example.com');
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('baggage is never trusted and forged or missing tokens are refused, audited in the server agent’s own task', async () => {
    const p = await inMemory({ client: false });
    const forgedBaggage = 'writ.correlation_id=forged-correlation,writ.requester=mallory%40evil.example';
    const { task, honest } = await p.asAlice(async ({ attribution, token }) => ({
      task: attribution,
      honest: await p.mcpClient.callTool({
        name: 'lookup_order',
        arguments: { orderId: '42' },
        _meta: { baggage: forgedBaggage, 'io.writ/txn-token': token },
      }),
    }));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'txntoken+jwt' })}.${b64({ iss: p.clientIssuer, sub: 'mallory', txn: 'forged-task' })}.`;
    const refused = [
      await p.mcpClient.callTool({
        name: 'lookup_order',
        arguments: { orderId: '1' },
        _meta: { 'io.writ/txn-token': unsigned },
      }),
      await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '2' } }),
    ];
    await p.close();

    expect(text(honest)).toBe('{"orderId":"42","status":"shipped"}');
    expect(p.ran).toEqual(['lookup_order:42']);
    for (const result of refused) {
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/^Refused by Writ \(WRIT_TOKEN_INVALID\): .*The tool was not run\.$/);
      expect((result as CallToolResult)._meta?.[REFUSAL_META_KEY]).toEqual({ code: 'WRIT_TOKEN_INVALID' });
    }
    expect(text(refused[1])).toContain("lookup_order needs the caller's task token");

    const records = await p.server.records();
    const decisions = kind(records, 'decision');
    expect(decisions).toHaveLength(3);
    // the honest call: the verified token's correlation id, requester and chain, not the baggage's
    expect(decisions[0]).toMatchObject({
      taskId: task.taskId,
      correlationId: task.correlationId,
      requester: { id: 'alice@example.com' },
    });
    // the refusals: in the server's own autonomous task, nothing taken from the forged token
    for (const d of decisions.slice(1)) {
      expect(d).toMatchObject({
        decision: { effect: 'deny' },
        refusal: { code: 'WRIT_TOKEN_INVALID' },
        requester: null,
        autonomous: true,
      });
      expect(d.chain.map((c: LogRecord) => c.id)).toEqual([CHAIN[1]]);
    }
    expect(kind(records, 'outcome').map((o) => o.outcome.status)).toEqual(['ok', 'refused', 'refused']);
    expect(JSON.stringify(records)).not.toMatch(/mallory|forged-task|forged-correlation/);
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('wraps tools registered later, callbacks replaced with update() and renames; refuses 1.x servers and double instrumentation', async () => {
    const p = await inMemory();
    const ping = p.mcpServer.registerTool('ping', { annotations: { readOnlyHint: true } }, async () => ({
      content: [{ type: 'text', text: 'pong' }],
    }));
    ping.update({ callback: async () => ({ content: [{ type: 'text', text: 'pong v2' }] }) });
    const results = await p.asAlice(async () => [
      await p.mcpClient.callTool({ name: 'ping' }),
      await (async () => {
        ping.update({ name: 'ping_renamed' });
        return p.mcpClient.callTool({ name: 'ping_renamed' });
      })(),
    ]);
    await p.close();
    expect(results.map(text)).toEqual(['pong v2', 'pong v2']);
    expect(kind(await p.server.records(), 'decision').map((d) => [d.call.name, d.decision.effect])).toEqual([
      ['ping', 'allow'],
      ['ping_renamed', 'allow'],
    ]);

    const verifyTaskToken = async () => ({}) as never;
    const audience = ORDERS_AUDIENCE;
    expect(() => instrumentServer(p.mcpServer, { agent: 'x', audience, verifyTaskToken })).toThrow(
      /already instrumented/,
    );
    const v1 = new McpServerV1({ name: 'old', version: '1' });
    expect(() => instrumentServer(v1 as never, { agent: 'x', audience, verifyTaskToken })).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: expect.stringContaining('@writ/mcp'),
      }),
    );
    // and the 1.x entry refuses a 2.x server (it would wrap a handler 2.x never calls)
    expect(() =>
      instrumentServerV1(new McpServer({ name: 'new', version: '2' }) as never, {
        agent: 'x',
        audience,
        verifyTaskToken,
      }),
    ).toThrow(expect.objectContaining({ message: expect.stringContaining('@writ/mcp/v2') }));
    expect(() => instrumentServer(p.mcpServer, { agent: '', audience, verifyTaskToken })).toThrow(
      /options\.agent/,
    );
  });
});

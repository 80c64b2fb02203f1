import { SpanKind } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import { refusalMessage } from '@writ/core/adapter';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogRecord, type Parties, setupParties, text } from './__support__/parties.js';

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

const ofKind = (records: LogRecord[], kind: string) => records.filter((r) => r.kind === kind);

describe('instrumentServer + instrumentClient over Streamable HTTP on loopback', () => {
  it('allowed, denied, approved and declined calls across a real HTTP hop: spans joined, records from the verified token', async () => {
    const p = await setupParties();
    parties = p;
    const url = await p.connectHttp();
    expect(url.hostname).toBe('127.0.0.1');
    p.answers.push({ action: 'accept', content: { approve: true } }, { action: 'decline' });
    const { task, results } = await p.asAlice(async ({ attribution }) => ({
      task: attribution,
      results: {
        lookup: await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
        remove: await p.mcpClient.callTool({ name: 'delete_customer', arguments: { customerId: 'c-7' } }),
        approved: await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '42' } }),
        declined: await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '43' } }),
      },
    }));
    await p.close();

    expect(text(results.lookup)).toBe('{"orderId":"42","status":"shipped"}');
    expect(text(results.approved)).toBe('refunded 42');
    expect(results.remove.isError).toBe(true);
    expect(results.declined.isError).toBe(true);
    expect(p.ran).toEqual(['lookup_order:42', 'refund_order:42']);
    // the elicitations travelled back over the tools/call request's SSE stream
    expect(p.elicitations.map((e) => e.message.split(' ')[0])).toEqual(['refund_order', 'refund_order']);

    // every server span is the child of its client span, across the HTTP hop
    const clientSpans = tracing
      .spans()
      .filter((s) => s.kind === SpanKind.CLIENT && s.name.startsWith('tools/call'));
    expect(clientSpans.map((s) => s.name)).toEqual([
      'tools/call lookup_order',
      'tools/call delete_customer',
      'tools/call refund_order',
      'tools/call refund_order',
    ]);
    const toolSpans = tracing.toolSpans();
    expect(toolSpans).toHaveLength(4);
    for (const serverSpan of toolSpans) {
      const parent = tracing.parentOf(serverSpan);
      expect(parent?.kind).toBe(SpanKind.CLIENT);
      expect(parent?.name).toBe(`tools/call ${serverSpan.attributes['gen_ai.tool.name']}`);
      expect(serverSpan.spanContext().traceId).toBe(parent?.spanContext().traceId);
      expect(clientSpans[0]?.attributes['mcp.session.id']).toEqual(expect.any(String));
    }

    const records = await p.server.records();
    for (const r of records) {
      expect(r.taskId).toBe(task.taskId);
      expect(r.correlationId).toBe(task.correlationId);
      expect(r.chain.map((c: LogRecord) => c.id)).toEqual([
        'spiffe://support.example/agent/support-bot',
        'spiffe://orders.example/agent/orders-mcp',
      ]);
    }
    const decisions = ofKind(records, 'decision');
    expect(decisions.map((d) => [d.call.name, d.decision.effect, d.refusal?.code ?? null])).toEqual([
      ['lookup_order', 'allow', null],
      ['delete_customer', 'deny', 'WRIT_POLICY_DENIED'],
      ['refund_order', 'approval_required', null],
      ['refund_order', 'approval_required', 'WRIT_APPROVAL_REJECTED'],
    ]);
    expect(decisions[0]?.call.framework).toEqual({
      name: 'mcp',
      ids: { requestId: expect.any(String), sessionId: clientSpans[0]?.attributes['mcp.session.id'] },
    });
    expect(text(results.remove)).toBe(
      refusalMessage(new WritError(decisions[1]?.refusal.code, decisions[1]?.refusal.message)),
    );
    expect(ofKind(records, 'approval').map((a) => [a.approval.approved, a.approval.approver?.id])).toEqual([
      [true, 'alice@example.com'],
      [false, 'alice@example.com'],
    ]);
    expect(ofKind(records, 'outcome').map((o) => o.outcome.status)).toEqual([
      'ok',
      'refused',
      'ok',
      'refused',
    ]);
    expect(await p.client.verify()).toMatchObject({ ok: true });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('takes the task token from the transport’s bearer token (authInfo) when _meta carries none', async () => {
    const p = await setupParties({ client: { taskToken: false } });
    parties = p;
    const { task, result } = await p.asAlice(async ({ attribution, token }) => {
      await p.connectHttp({ headers: { authorization: `Bearer ${token}` } });
      return {
        task: attribution,
        result: await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
      };
    });
    await p.close();

    expect(text(result)).toBe('{"orderId":"42","status":"shipped"}');
    const records = await p.server.records();
    expect(records[0]).toMatchObject({
      kind: 'task-start',
      taskId: task.taskId,
      requester: { id: 'alice@example.com', assurance: 'verified' },
    });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('takes the task token from the Txn-Token header of the HTTP request', async () => {
    const p = await setupParties({ client: { taskToken: false } });
    parties = p;
    const task = await p.asAlice(async ({ attribution, token }) => {
      await p.connectHttp({ headers: { 'txn-token': token } });
      await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } });
      return attribution;
    });
    await p.close();
    expect(p.ran).toEqual(['lookup_order:42']);
    expect((await p.server.records())[0]).toMatchObject({ kind: 'task-start', taskId: task.taskId });
  });
});

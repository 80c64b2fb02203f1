import { SpanKind } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import { refusalMessage } from '@writ/core/adapter';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogRecord, text } from '../__support__/sides.js';
import { type Parties, setupParties } from './__support__/parties.js';

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

const kind = (records: LogRecord[], k: string) => records.filter((r) => r.kind === k);

describe('@writ/mcp/v2 over Streamable HTTP on 127.0.0.1', () => {
  it('allowed, denied, approved and declined calls across the HTTP hop: spans joined, records from the verified token', async () => {
    const p = await setupParties();
    parties = p;
    const url = await p.connectHttp();
    expect(url.hostname).toBe('127.0.0.1');
    p.answers.push({ action: 'accept', content: { approve: true } }, { action: 'decline' });
    const { task, r } = await p.asAlice(async ({ attribution }) => ({
      task: attribution,
      r: [
        await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
        await p.mcpClient.callTool({ name: 'delete_customer', arguments: { customerId: 'c-7' } }),
        await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '42' } }),
        await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '43' } }),
      ],
    }));
    await p.close();

    expect(r.map((x) => x.isError === true)).toEqual([false, true, false, true]);
    expect(text(r[0])).toBe('{"orderId":"42","status":"shipped"}');
    expect(text(r[2])).toBe('refunded 42');
    expect(p.ran).toEqual(['lookup_order:42', 'refund_order:42']);
    // the elicitations travelled back on the tools/call requests' SSE streams
    expect(p.elicitations).toHaveLength(2);

    const clientSpans = tracing.spans().filter((s) => s.kind === SpanKind.CLIENT);
    const sessionId = clientSpans[0]?.attributes['mcp.session.id'];
    expect(sessionId).toEqual(expect.any(String));
    const toolSpans = tracing.toolSpans();
    expect(toolSpans).toHaveLength(4);
    for (const serverSpan of toolSpans) {
      const parent = tracing.parentOf(serverSpan);
      expect(parent?.kind).toBe(SpanKind.CLIENT);
      expect(parent?.name).toBe(`tools/call ${serverSpan.attributes['gen_ai.tool.name']}`);
    }

    const records = await p.server.records();
    for (const rec of records) {
      expect([rec.taskId, rec.correlationId]).toEqual([task.taskId, task.correlationId]);
      expect(rec.chain.map((c: LogRecord) => c.id)).toEqual([
        'spiffe://support.example/agent/support-bot',
        'spiffe://orders.example/agent/orders-mcp',
      ]);
    }
    const decisions = kind(records, 'decision');
    expect(decisions.map((d) => [d.call.name, d.decision.effect, d.refusal?.code ?? null])).toEqual([
      ['lookup_order', 'allow', null],
      ['delete_customer', 'deny', 'WRIT_POLICY_DENIED'],
      ['refund_order', 'approval_required', null],
      ['refund_order', 'approval_required', 'WRIT_APPROVAL_REJECTED'],
    ]);
    expect(decisions[0]?.call.framework.ids).toEqual({ requestId: expect.any(String), sessionId });
    expect(text(r[1])).toBe(
      refusalMessage(new WritError(decisions[1]?.refusal.code, decisions[1]?.refusal.message)),
    );
    expect(kind(records, 'approval').map((a) => [a.approval.approved, a.approval.approver?.id])).toEqual([
      [true, 'alice@example.com'],
      [false, 'alice@example.com'],
    ]);
    expect(kind(records, 'outcome').map((o) => o.outcome.status)).toEqual(['ok', 'refused', 'ok', 'refused']);
    expect(await p.client.verify()).toMatchObject({ ok: true });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it.each([
    ['the bearer token of ctx.http.authInfo', (token: string) => ({ authorization: `Bearer ${token}` })],
    ['the Txn-Token header of ctx.http.req', (token: string) => ({ 'txn-token': token })],
  ])('takes the task token from %s when _meta carries none', async (_source, headers) => {
    const p = await setupParties({ client: { taskToken: false } });
    parties = p;
    const { task, result } = await p.asAlice(async ({ attribution, token }) => {
      await p.connectHttp({ headers: headers(token) });
      return {
        task: attribution,
        result: await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
      };
    });
    await p.close();

    expect(text(result)).toBe('{"orderId":"42","status":"shipped"}');
    expect((await p.server.records())[0]).toMatchObject({
      kind: 'task-start',
      taskId: task.taskId,
      requester: { id: 'alice@example.com', assurance: 'verified' },
    });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });
});

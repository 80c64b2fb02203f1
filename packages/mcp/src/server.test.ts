import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import { RECEIPT_META_KEY, refusalMessage } from '@writ/core/adapter';
import { createLocalAuthority, mintTaskToken, verifyTaskToken } from '@writ/identity';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  approvalRows,
  type LogRecord,
  ORDERS_AUDIENCE,
  type Parties,
  type PartiesOptions,
  setupParties,
  text,
} from './__support__/parties.js';
import {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  instrumentClient,
  instrumentServer,
  REFUSAL_META_KEY,
} from './index.js';

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

async function connected(options?: PartiesOptions): Promise<Parties> {
  parties = await setupParties(options);
  await parties.connectInMemory();
  return parties;
}

const CLIENT_AGENT = 'spiffe://support.example/agent/support-bot';
const SERVER_AGENT = 'spiffe://orders.example/agent/orders-mcp';

/** The refusal text a refused call's decision record implies: what the model must have read. */
const refusalText = (decision: LogRecord) =>
  refusalMessage(new WritError(decision.refusal.code, decision.refusal.message));

const ofKind = (records: LogRecord[], kind: string) => records.filter((r) => r.kind === kind);

describe('instrumentServer + instrumentClient over InMemoryTransport', () => {
  it('an allowed call continues the client’s trace and task: server span is the client span’s child, records carry the verified chain', async () => {
    const p = await connected();
    const { clientTask, result } = await p.asAlice(async ({ attribution }) => ({
      clientTask: attribution,
      result: await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
    }));
    await p.close();

    expect(result.isError).toBeUndefined();
    expect(text(result)).toBe('{"orderId":"42","status":"shipped"}');
    expect(p.ran).toEqual(['lookup_order:42']);

    // spans: CLIENT span on the client side, the server's execute_tool span its child (same trace)
    const clientSpan = tracing.spans().find((s) => s.name === 'tools/call lookup_order');
    const serverSpan = tracing.toolSpans().find((s) => s.name === 'execute_tool lookup_order');
    expect(clientSpan?.kind).toBe(SpanKind.CLIENT);
    expect(clientSpan?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'writ.task.id': clientTask.taskId,
    });
    expect(serverSpan?.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(tracing.parentOf(serverSpan as never)).toBe(clientSpan);
    expect(serverSpan?.attributes).toMatchObject({
      'writ.task.id': clientTask.taskId,
      'writ.correlation_id': clientTask.correlationId,
      'writ.chain': ['alice@example.com', CLIENT_AGENT, SERVER_AGENT],
      'writ.policy.effect': 'allow',
    });
    expect(tracing.tree()).toBe('tools/call lookup_order\n  execute_tool lookup_order');

    // the tool saw the continued task
    expect(p.seen[0]).toMatchObject({
      taskId: clientTask.taskId,
      correlationId: clientTask.correlationId,
      requester: { id: 'alice@example.com', assurance: 'verified', issuer: p.clientIssuer },
    });

    // server records: the client's task id, requester and chain, from the verified token
    const records = await p.server.records();
    expect(records.map((r) => r.kind)).toEqual(['task-start', 'decision', 'outcome', 'task-end']);
    for (const r of records) {
      expect(r.taskId).toBe(clientTask.taskId);
      expect(r.correlationId).toBe(clientTask.correlationId);
      expect(r.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
      expect(r.chain.map((c: LogRecord) => [c.id, c.assurance])).toEqual([
        [CLIENT_AGENT, 'verified'],
        [SERVER_AGENT, 'verified'],
      ]);
    }
    const [decision] = ofKind(records, 'decision');
    expect(decision?.decision.effect).toBe('allow');
    expect(decision?.traceId).toBe(clientSpan?.spanContext().traceId);
    expect(decision?.call).toMatchObject({
      name: 'lookup_order',
      permission: 'orders:read',
      resource: { type: 'Order', id: '42' },
      framework: { name: 'mcp', ids: { requestId: expect.any(String) } },
    });
    expect(ofKind(records, 'outcome')[0]?.outcome.status).toBe('ok');

    // the client's own log: its task, verified
    const clientRecords = await p.client.records();
    expect(clientRecords[0]).toMatchObject({ kind: 'task-start', taskId: clientTask.taskId });
    expect(await p.client.verify()).toMatchObject({ ok: true });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('a denied call comes back as an isError result with the refusal text; the tool never runs; recorded', async () => {
    const p = await connected();
    const result = (await p.asAlice(() =>
      p.mcpClient.callTool({ name: 'delete_customer', arguments: { customerId: 'c-7' } }),
    )) as CallToolResult;
    await p.close();

    expect(p.ran).toEqual([]);
    expect(result.isError).toBe(true);
    expect(result._meta?.[REFUSAL_META_KEY]).toEqual({ code: 'WRIT_POLICY_DENIED' });
    const records = await p.server.records();
    const [decision] = ofKind(records, 'decision');
    // the receipt of the server's own record of the refusal (receipts both ways)
    expect(result._meta?.[RECEIPT_META_KEY]).toEqual({
      log: expect.any(String),
      index: records.indexOf(decision as LogRecord),
      leafHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // the caller's outcome records the server's code and receipt, as the server's report
    const callerOutcome = ofKind(await p.client.records(), 'outcome');
    expect(callerOutcome).toEqual([]); // no Writ tool call on the caller's side here: nothing to record it in
    expect(decision?.decision.effect).toBe('deny');
    expect(decision?.refusal.code).toBe('WRIT_POLICY_DENIED');
    // exactly the text the model reads
    expect(text(result)).toBe(refusalText(decision as LogRecord));
    expect(text(result)).toMatch(
      /^Refused by Writ \(WRIT_POLICY_DENIED\): delete_customer .*The tool was not run\.$/,
    );
    expect(ofKind(records, 'outcome')[0]?.outcome.status).toBe('refused');

    const clientSpan = tracing.spans().find((s) => s.name === 'tools/call delete_customer');
    const serverSpan = tracing.toolSpans()[0];
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(serverSpan?.attributes['writ.policy.effect']).toBe('deny');
    expect(clientSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(clientSpan?.attributes['error.type']).toBe('tool_error');
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('approval through elicitation: the user approves, the call runs; approval recorded with approver and binding hash', async () => {
    const p = await connected();
    p.answers.push({ action: 'accept', content: { approve: true, reason: 'customer called' } });
    const result = await p.asAlice(() =>
      p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '42' } }),
    );
    await p.close();

    expect(text(result)).toBe('refunded 42');
    expect(p.ran).toEqual(['refund_order:42']);
    // what the user was asked: why, the complete arguments and the binding hash
    expect(p.elicitations).toHaveLength(1);
    const asked = p.elicitations[0];
    expect(asked?.message).toMatch(
      /^refund_order needs human approval \(cedar\).*\. Allow refund_order with these arguments\?\n\nArguments \(complete\):\n\{\n {2}"orderId": "42"\n\}\n\nBinding: sha256:[0-9a-f]{64}$/,
    );
    expect(asked).toMatchObject({ mode: 'form', requestedSchema: APPROVAL_SCHEMA });

    const records = await p.server.records();
    expect(records.map((r) => r.kind)).toEqual([
      'task-start',
      'approval-requested',
      'approval',
      'decision',
      'outcome',
      'task-end',
    ]);
    const [approval] = ofKind(records, 'approval');
    const [decision] = ofKind(records, 'decision');
    expect(approval?.approval).toMatchObject({
      approved: true,
      // answered through the client: alice as claimed (nobody authenticated who ticked the box)
      approver: { id: 'alice@example.com', assurance: 'claimed' },
      reason: 'customer called',
      bindingHash: expect.stringMatching(/^sha256:/),
    });
    expect(asked?.message.endsWith(`Binding: ${approval?.approval.bindingHash}`)).toBe(true);
    expect(asked?._meta?.[APPROVAL_META_KEY]).toEqual({
      tool: 'refund_order',
      args: { orderId: '42' },
      bindingHash: approval?.approval.bindingHash,
      expiresAt: approval?.approval.expiresAt,
      verifiedApprover: false,
    });
    expect(decision?.decision.effect).toBe('approval_required');
    expect(decision?.approval.bindingHash).toBe(approval?.approval.bindingHash);
    expect(decision?.call.framework.name).toBe('mcp');
    expect(ofKind(records, 'outcome')[0]?.outcome.status).toBe('ok');
    expect(tracing.toolSpans()[0]?.attributes['writ.approval.approver']).toBe('alice@example.com');
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('approval declined, dismissed or not ticked: refused with the reason, recorded, the tool never runs', async () => {
    const p = await connected({
      server: {
        approvalMessage: ({ tool, args }) =>
          `May the assistant run ${tool} for order ${(args as { orderId: string }).orderId}?`,
      },
    });
    p.answers.push(
      { action: 'decline' },
      { action: 'cancel' },
      { action: 'accept', content: { approve: false } },
    );
    const results = await p.asAlice(async () => [
      await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '42' } }),
      await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '43' } }),
      await p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '44' } }),
    ]);
    await p.close();

    expect(p.ran).toEqual([]);
    const records = await p.server.records();
    const approvals = ofKind(records, 'approval');
    const decisions = ofKind(records, 'decision');
    // the option's first line, then always the complete arguments and the binding hash
    expect(p.elicitations.map((e) => e.message)).toEqual(
      ['42', '43', '44'].map(
        (orderId, i) =>
          `May the assistant run refund_order for order ${orderId}?\n\nArguments (complete):\n{\n  "orderId": "${orderId}"\n}\n\nBinding: ${approvals[i]?.approval.bindingHash}`,
      ),
    );
    expect(approvalRows(records)).toEqual([
      [false, 'alice@example.com', 'claimed', 'the user declined in the MCP client'],
      [false, 'alice@example.com', 'claimed', 'the user dismissed the approval request'],
      [false, 'alice@example.com', 'claimed', 'the user answered without ticking approve'],
    ]);
    expect(decisions.map((d) => d.refusal.code)).toEqual(Array(3).fill('WRIT_APPROVAL_REJECTED'));
    expect(ofKind(records, 'outcome').map((o) => o.outcome.status)).toEqual([
      'refused',
      'refused',
      'refused',
    ]);
    for (const [i, result] of results.entries()) {
      expect(result.isError).toBe(true);
      expect(text(result)).toBe(refusalText(decisions[i] as LogRecord));
      // each rejection names the server's record of it (receipts both ways)
      expect(result._meta?.[RECEIPT_META_KEY]).toMatchObject({
        index: records.indexOf(decisions[i] as LogRecord),
      });
    }
    expect(text(results[0])).toBe(
      'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the user declined in the MCP client. The tool was not run.',
    );
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('a client without the elicitation capability gets a clear refusal (recorded, nobody named as approver)', async () => {
    const p = await connected({ elicitation: false });
    const result = await p.asAlice(() =>
      p.mcpClient.callTool({ name: 'refund_order', arguments: { orderId: '42' } }),
    );
    await p.close();

    expect(p.ran).toEqual([]);
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(
      'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the MCP client cannot ask its user (it did not declare the elicitation capability), so no human approved the call. The tool was not run.',
    );
    const records = await p.server.records();
    expect(ofKind(records, 'approval')[0]?.approval).toMatchObject({ approved: false, approver: null });
    expect(ofKind(records, 'decision')[0]?.refusal.code).toBe('WRIT_APPROVAL_REJECTED');
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('forged baggage is not trusted: the correlation id and chain come from the verified token', async () => {
    // an uninstrumented client writing _meta by hand: a real token, but forged baggage
    const p = await connected({ client: false });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const clientTask = await p.asAlice(async ({ attribution, token }) => {
      await p.mcpClient.callTool({
        name: 'lookup_order',
        arguments: { orderId: '42' },
        _meta: {
          traceparent,
          baggage: 'writ.correlation_id=forged-correlation,writ.requester=mallory%40evil.example',
          'io.writ/txn-token': token,
        },
      });
      return attribution;
    });
    await p.close();

    expect(p.ran).toEqual(['lookup_order:42']);
    const records = await p.server.records();
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(r.correlationId).toBe(clientTask.correlationId);
      expect(r.correlationId).not.toBe('forged-correlation');
      expect(r.requester.id).toBe('alice@example.com');
      expect(r.chain.map((c: LogRecord) => c.id)).toEqual([CLIENT_AGENT, SERVER_AGENT]);
    }
    expect(JSON.stringify(records)).not.toMatch(/mallory|forged-correlation/);
    // trace context, by contrast, is continued (it is not identity)
    expect(tracing.toolSpans()[0]?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(tracing.toolSpans()[0]?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('forged tokens are refused and audited in the server’s own task: unsigned, signed by another key under the same issuer, missing', async () => {
    const p = await connected({ client: false });
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: p.clientIssuer,
      sub: 'mallory@evil.example',
      aud: p.clientIssuer,
      txn: 'forged-task',
      scope: 'orders:*',
      iat: now,
      exp: now + 300,
      jti: 'forged-jti',
      act: { sub: CLIENT_AGENT },
      req_wl: CLIENT_AGENT,
      tctx: { correlation_id: 'forged-correlation' },
    };
    const unsigned = `${b64({ alg: 'none', typ: 'txntoken+jwt' })}.${b64(claims)}.`;
    const attackerDir = await mkdtemp(join(tmpdir(), 'writ-mcp-attacker-'));
    const attacker = await createLocalAuthority({ dir: attackerDir, trustDomain: 'support.example' });
    expect(attacker.issuer).toBe(p.clientIssuer); // same issuer name, different key
    const { token: otherKey } = await mintTaskToken(attacker, {
      attribution: {
        taskId: 'forged-task',
        correlationId: 'forged-correlation',
        requester: { kind: 'human', id: 'mallory@evil.example', assurance: 'verified' },
        autonomous: false,
        chain: [{ kind: 'agent', id: CLIENT_AGENT, assurance: 'verified' }],
        scope: ['*'],
      },
      audience: p.clientIssuer,
      ttlSec: 300,
    });
    await rm(attackerDir, { recursive: true, force: true });

    const call = (meta: Record<string, unknown>) =>
      p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' }, _meta: meta });
    const results = [
      await call({ 'io.writ/txn-token': unsigned }),
      await call({ 'io.writ/txn-token': otherKey }),
      await call({ baggage: 'writ.correlation_id=forged-correlation' }),
    ];
    await p.close();

    expect(p.ran).toEqual([]);
    for (const result of results) {
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/^Refused by Writ \(WRIT_TOKEN_INVALID\): .*The tool was not run\.$/);
      expect((result as CallToolResult)._meta?.[REFUSAL_META_KEY]).toEqual({ code: 'WRIT_TOKEN_INVALID' });
    }
    expect(text(results[2])).toContain("lookup_order needs the caller's task token");
    // every refusal is in the server's log, in the server agent's own autonomous task: nothing of the
    // forged tokens (task id, requester, correlation id) was taken into the records
    const records = (await p.server.records()) as unknown as Array<Record<string, unknown>>;
    const decisions = records.filter((r) => r.kind === 'decision');
    expect(decisions).toHaveLength(3);
    for (const d of decisions) {
      expect(d).toMatchObject({
        decision: { effect: 'deny' },
        refusal: { code: 'WRIT_TOKEN_INVALID' },
        requester: null,
        autonomous: true,
      });
    }
    expect(
      records.filter((r) => r.kind === 'outcome').map((r) => (r.outcome as { status: string }).status),
    ).toEqual(['refused', 'refused', 'refused']);
    const serialized = JSON.stringify(records);
    for (const forged of ['forged-task', 'mallory']) expect(serialized).not.toContain(forged);
    // the forged tokens' correlation id was not taken from them; the token-less call's baggage is a
    // correlation hint (it links the refusal to the caller's trace) and never authority
    expect(decisions.map((d) => d.correlationId === 'forged-correlation')).toEqual([false, false, true]);
  });

  it('requireTaskToken: false runs token-less calls as the server agent’s own autonomous task; a bad token is still refused', async () => {
    const p = await connected({ client: false, server: { requireTaskToken: false } });
    // called from inside a client task, in the same process: nothing of that ambient task may leak into
    // the server's (only what came over the wire counts, and the uninstrumented client sent nothing)
    const { clientTask, ok } = await p.asAlice(async ({ attribution }) => ({
      clientTask: attribution,
      ok: await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '7' } }),
    }));
    const bad = await p.mcpClient.callTool({
      name: 'lookup_order',
      arguments: { orderId: '8' },
      _meta: { 'io.writ/txn-token': 'not-a-jwt' },
    });
    await p.close();

    expect(text(ok)).toBe('{"orderId":"7","status":"shipped"}');
    expect(bad.isError).toBe(true);
    expect(p.ran).toEqual(['lookup_order:7']);
    const records = await p.server.records();
    expect(records[0]).toMatchObject({ kind: 'task-start', autonomous: true, requester: null });
    expect(records[0]?.chain.map((c: LogRecord) => c.id)).toEqual([SERVER_AGENT]);
    expect(records[0]?.taskId).not.toBe(clientTask.taskId);
    expect(records[0]?.correlationId).not.toBe(clientTask.correlationId);
    expect(records[0]?.parentTaskId).toBeUndefined();
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('a tool that throws stays a tool error: isError with its own message, outcome recorded as error', async () => {
    const p = await connected();
    p.mcpServer.registerTool('flaky_lookup', { annotations: { readOnlyHint: true } }, async () => {
      throw new Error('orders database is down');
    });
    const result = (await p.asAlice(() => p.mcpClient.callTool({ name: 'flaky_lookup' }))) as CallToolResult;
    await p.close();
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('orders database is down');
    expect(result._meta?.[REFUSAL_META_KEY]).toBeUndefined();
    const records = await p.server.records();
    expect(ofKind(records, 'decision')[0]?.decision.effect).toBe('allow');
    expect(ofKind(records, 'outcome')[0]?.outcome).toMatchObject({ status: 'error', errorCode: 'Error' });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('every request is decided afresh: the same call twice runs twice with two decisions (no replay across requests)', async () => {
    const p = await connected();
    await p.asAlice(async () => {
      await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } });
      await p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId: '42' } });
    });
    await p.close();
    expect(p.ran).toEqual(['lookup_order:42', 'lookup_order:42']);
    const decisions = ofKind(await p.server.records(), 'decision');
    expect(decisions).toHaveLength(2);
    expect(decisions[0]?.call.id).not.toBe(decisions[1]?.call.id);
  });

  it('wraps tools registered later, handlers replaced with update(), renamed tools; refuses task tools and double instrumentation', async () => {
    const p = await connected();
    const ping = p.mcpServer.registerTool('ping', { annotations: { readOnlyHint: true } }, async () => {
      p.ran.push('ping:v1');
      return { content: [{ type: 'text', text: 'pong' }] };
    });
    ping.update({
      callback: async () => {
        p.ran.push('ping:v2');
        return { content: [{ type: 'text', text: 'pong v2' }] };
      },
    });
    const results = await p.asAlice(async () => [
      await p.mcpClient.callTool({ name: 'ping' }),
      await (async () => {
        ping.update({ name: 'ping_renamed' });
        return p.mcpClient.callTool({ name: 'ping_renamed' });
      })(),
    ]);
    expect(results.map(text)).toEqual(['pong v2', 'pong v2']);
    expect(p.ran).toEqual(['ping:v2', 'ping:v2']);

    expect(() =>
      p.mcpServer.experimental.tasks.registerToolTask(
        'long_job',
        { inputSchema: { n: z.number() } },
        {
          createTask: async () => {
            throw new Error('never');
          },
          getTask: async () => {
            throw new Error('never');
          },
          getTaskResult: async () => {
            throw new Error('never');
          },
        },
      ),
    ).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('long_job') }),
    );
    expect(() =>
      instrumentServer(p.mcpServer, {
        agent: 'x',
        audience: ORDERS_AUDIENCE,
        verifyTaskToken: () => Promise.reject(new Error('no')),
      }),
    ).toThrow(/already instrumented/);
    expect(() => instrumentClient(p.mcpClient, { audience: ORDERS_AUDIENCE })).toThrow(
      /already instrumented/,
    );
    await p.close();

    const decisions = ofKind(await p.server.records(), 'decision');
    expect(decisions.map((d) => [d.call.name, d.decision.effect])).toEqual([
      ['ping', 'allow'],
      ['ping_renamed', 'allow'],
    ]);
  });

  it('inside a Writ tool with the server’s audience, the client forwards that call’s audience-bound credential', async () => {
    const audience = ORDERS_AUDIENCE;
    const verified: string[] = [];
    // the server accepts only credentials minted for its own audience (a plain task token would fail)
    const p = await connected({
      server: {
        verifyTaskToken: async (token) => {
          const { authority } = await (parties as Parties).client.writ.ready();
          const inbound = await verifyTaskToken(token, {
            issuer: authority.issuer,
            audience,
            jwks: authority.jwks(),
          });
          verified.push(inbound.jti);
          return inbound;
        },
      },
    });
    const askOrders = p.client.writ.tool({
      name: 'ask_orders',
      input: z.object({ orderId: z.string() }),
      permission: 'orders:read',
      annotations: { readOnly: true },
      audience,
      execute: ({ orderId }) => p.mcpClient.callTool({ name: 'lookup_order', arguments: { orderId } }),
    });
    const result = await p.asAlice(() => askOrders.execute({ orderId: '42' }));
    await p.close();

    expect(text(result)).toBe('{"orderId":"42","status":"shipped"}');
    const clientDecision = ofKind(await p.client.records(), 'decision')[0];
    const serverStart = (await p.server.records())[0];
    expect(clientDecision?.credential).toMatchObject({ audience });
    // the server verified exactly the credential the client's pipeline issued for this call
    expect(verified).toEqual([clientDecision?.credential.jti]);
    expect(serverStart?.taskId).toBe(clientDecision?.taskId);
    expect(serverStart?.chain[0]).toMatchObject({ id: CLIENT_AGENT, issuer: p.clientIssuer });
    expect(tracing.tree()).toBe(
      ['execute_tool ask_orders', '  tools/call lookup_order', '    execute_tool lookup_order'].join('\n'),
    );
    expect(await p.client.verify()).toMatchObject({ ok: true });
    expect(await p.server.verify()).toMatchObject({ ok: true });
  });

  it('validates options eagerly, naming the bad option', () => {
    const server = new (class {
      _registeredTools = {};
    })();
    const audience = ORDERS_AUDIENCE;
    expect(() =>
      instrumentServer(server as never, { agent: '', audience, verifyTaskToken: async () => ({}) as never }),
    ).toThrow(/instrumentServer: options\.agent/);
    expect(() => instrumentServer(server as never, { agent: 'a', audience } as never)).toThrow(
      /options\.verifyTaskToken/,
    );
    expect(() =>
      instrumentServer(server as never, { agent: 'a', verifyTaskToken: async () => ({}) as never } as never),
    ).toThrow(/options\.audience: required/);
    expect(() =>
      instrumentServer(server as never, {
        agent: 'a',
        audience,
        verifyTaskToken: async () => ({}) as never,
        tokenSources: ['cookie' as never],
      }),
    ).toThrow(/options\.tokenSources/);
    expect(() =>
      instrumentServer(server as never, {
        agent: 'a',
        audience,
        verifyTaskToken: async () => ({}) as never,
        approvalArgsMaxChars: 10,
      }),
    ).toThrow(/options\.approvalArgsMaxChars/);
    expect(() =>
      instrumentServer({} as never, { agent: 'a', audience, verifyTaskToken: async () => ({}) as never }),
    ).toThrow(/supports the 1\.x SDK only/);
    expect(() =>
      instrumentClient(new Client({ name: 'c', version: '1' }), { audience, taskToken: 'yes' as never }),
    ).toThrow(/instrumentClient: options\.taskToken/);
    // the client must say which server it talks to (or send no credential at all)
    expect(() => instrumentClient(new Client({ name: 'c', version: '1' }))).toThrow(
      /instrumentClient: options\.audience: required: the server's resource URI \(RFC 8707\)/,
    );
    expect(() => instrumentClient(new Client({ name: 'c', version: '1' }), { audience: 'orders' })).toThrow(
      /instrumentClient: options\.audience: orders must be an absolute URI/,
    );
    expect(instrumentClient(new Client({ name: 'c', version: '1' }), { taskToken: false })).toBeInstanceOf(
      Client,
    );
    expect(() => instrumentClient({} as never, { audience })).toThrow(/expected an MCP Client/);
  });

  it('refuses bad tool hints at instrumentation, all or nothing (the server stays uninstrumented)', async () => {
    const mcpServer = new McpServer({ name: 'orders', version: '1.0.0' });
    const handler = async () => ({ content: [{ type: 'text' as const, text: 'ok' }] });
    mcpServer.registerTool('a_tool', {}, handler);
    mcpServer.registerTool('b_tool', {}, handler);
    const verify = async () => ({}) as never;
    const audience = ORDERS_AUDIENCE;
    expect(() =>
      instrumentServer(mcpServer, {
        agent: 'x',
        audience,
        verifyTaskToken: verify,
        tools: { b_tool: { risk: 'extreme' as never } },
      }),
    ).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringMatching(/risk/) }),
    );
    // nothing was changed: instrumenting again with good options works
    expect(instrumentServer(mcpServer, { agent: 'x', audience, verifyTaskToken: verify })).toBe(mcpServer);
  });
});

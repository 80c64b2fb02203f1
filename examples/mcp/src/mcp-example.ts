import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { readLines, verifyLog } from '@writ/audit';
import { verifyTaskToken } from '@writ/identity';
import { APPROVAL_META_KEY, instrumentClient, instrumentServer, type WritApprovalMeta } from '@writ/mcp';
import { startWritTelemetry } from '@writ/otel';
import { createWrit, defineAgent, getToolContext } from 'writ';
import { z } from 'zod';

/** A finished span, as far as this example prints it. */
interface SpanSummary {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly effect: unknown;
}

/** The fields of a server decision record this example prints. */
interface ServerRecord {
  readonly kind: string;
  readonly taskId: string;
  readonly requester: { readonly id: string } | null;
  readonly chain: readonly { readonly id: string }[];
  readonly call: { readonly name: string };
  readonly decision: { readonly effect: string };
  readonly refusal?: { readonly code: string };
  readonly approval?: {
    readonly approved: boolean;
    readonly approver: { readonly id: string; readonly assurance: string } | null;
  };
}

/** What {@link runMcpExample} reports: the printed lines, plus what the test checks. */
export interface McpExampleResult {
  readonly lines: readonly string[];
  readonly taskId: string;
  readonly clientLogOk: boolean;
  readonly serverLogOk: boolean;
  readonly ran: readonly string[];
}

/** The orders server's resource URI: its audience, what the client is instrumented with. */
export const ORDERS_MCP = 'https://orders.example/mcp';

/**
 * The example: an orders MCP server (its own Writ: own keys, own trust domain, own audit log) and a
 * support agent's MCP client (another Writ) in one process, over the SDK's in-memory transport. The
 * client sends the server a credential for the server's audience only; the server accepts no other.
 */
export async function runMcpExample(options: { dir: string }): Promise<McpExampleResult> {
  const lines: string[] = [];
  const print = (line = '') => lines.push(line);
  const spans: SpanSummary[] = [];
  // OpenTelemetry with nothing exported: spans still get ids that propagate; we collect them to print
  const telemetry = await startWritTelemetry({
    serviceName: 'mcp-example',
    exporter: 'none',
    spanProcessors: [
      {
        onStart() {},
        onEnd(span) {
          spans.push({
            name: span.name,
            traceId: span.spanContext().traceId,
            spanId: span.spanContext().spanId,
            parentSpanId: span.parentSpanContext?.spanId,
            effect: span.attributes['writ.policy.effect'],
          });
        },
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      },
    ],
  });

  // --- the client side: the support agent and the person it works for ---------------------------
  const clientWrit = createWrit({
    dir: join(options.dir, 'client'),
    service: 'support-desk',
    trustDomain: 'support.example',
    agents: [
      defineAgent({ id: 'support-bot', owner: 'support@example.com', purpose: 'Answer order tickets' }),
    ],
  });
  const { authority, localIdentity, revocations } = await clientWrit.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });

  // --- the server side: an MCP server whose every tool goes through Writ -------------------------
  const serverWrit = createWrit({
    dir: join(options.dir, 'server'),
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    agents: [defineAgent({ id: 'orders-mcp', owner: 'orders@example.com', purpose: 'Serve order tools' })],
  });
  const ran: string[] = [];
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  instrumentServer(server, {
    writ: serverWrit,
    agent: 'orders-mcp',
    audience: ORDERS_MCP, // only credentials issued for this server are accepted
    // the client's authority is the trusted issuer; in production fetch its JWKS (createRemoteJWKSet).
    // In one process the issuer's revocations are known: a credential of an ended task is refused.
    verifyTaskToken: (token, { audience }) =>
      verifyTaskToken(token, {
        issuer: authority.issuer,
        audience,
        jwks: authority.jwks(),
        isRevoked: revocations?.isRevoked,
      }),
    tools: {
      lookup_order: { permission: 'orders:read' },
      refund_order: { risk: 'high', permission: 'orders:refund' },
      delete_customer: { permission: 'customers:delete' },
    },
  });
  const orderId = { orderId: z.string() };
  server.registerTool(
    'lookup_order',
    { description: 'Look an order up', inputSchema: orderId, annotations: { readOnlyHint: true } },
    async ({ orderId }) => {
      ran.push(`lookup_order ${orderId}`);
      const { requester, chain } = getToolContext().attribution;
      print(`  [server] lookup_order for ${requester?.id} via ${chain.map((p) => p.id).join(' -> ')}`);
      return { content: [{ type: 'text', text: `order ${orderId}: shipped` }] };
    },
  );
  server.registerTool(
    'refund_order',
    { description: 'Refund an order', inputSchema: orderId },
    async ({ orderId }) => {
      ran.push(`refund_order ${orderId}`);
      return { content: [{ type: 'text', text: `order ${orderId}: refunded` }] };
    },
  );
  server.registerTool(
    'delete_customer',
    { description: 'Delete a customer', inputSchema: { customerId: z.string() } },
    async ({ customerId }) => {
      ran.push(`delete_customer ${customerId}`);
      return { content: [{ type: 'text', text: `customer ${customerId}: deleted` }] };
    },
  );

  // --- the MCP client: carries trace context and a credential for the server; its user answers ----
  const client = instrumentClient(
    new Client({ name: 'support-bot', version: '1.0.0' }, { capabilities: { elicitation: {} } }),
    { audience: ORDERS_MCP },
  );
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    // the person at the client: approves the refund of order 42, declines any other. The prompt shows
    // the complete arguments; _meta carries them too, for clients that render approvals themselves
    const approval = request.params._meta?.[APPROVAL_META_KEY] as WritApprovalMeta | undefined;
    const approve = (approval?.args as { orderId?: string } | undefined)?.orderId === '42';
    print(`  [client] asked: ${request.params.message.split('\n')[0]}`);
    print(
      `  [client]   arguments: ${JSON.stringify(approval?.args)} (binding ${approval?.bindingHash.slice(0, 15)}…)`,
    );
    print(`  [client] alice ${approve ? 'approves' : 'declines'}`);
    return approve ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);

  const calls = [
    { name: 'lookup_order', arguments: { orderId: '42' } },
    { name: 'delete_customer', arguments: { customerId: 'c-7' } },
    { name: 'refund_order', arguments: { orderId: '42' } },
    { name: 'refund_order', arguments: { orderId: '43' } },
  ];
  const taskId = await clientWrit.task(
    { requester: aliceToken, agent: 'support-bot', intent: 'Sort out order 42', scope: ['orders:*'] },
    async (task) => {
      for (const call of calls) {
        print(`> ${call.name} ${JSON.stringify(call.arguments)}`);
        const result = await client.callTool(call);
        const content = result.content as { type: string; text?: string }[];
        print(`< ${result.isError === true ? 'ERROR ' : ''}${content[0]?.text ?? ''}`);
      }
      return task.attribution.taskId;
    },
  );

  await client.close();
  await server.close();
  await clientWrit.close();
  await serverWrit.close();
  await telemetry.shutdown();

  print();
  print('Traces (client span -> server span):');
  for (const serverSpan of spans.filter((s) => s.name.startsWith('execute_tool '))) {
    const parent = spans.find((s) => s.spanId === serverSpan.parentSpanId);
    print(
      `  ${parent?.name ?? '(no parent)'} -> ${serverSpan.name} [${String(serverSpan.effect)}]` +
        `${parent !== undefined && parent.traceId === serverSpan.traceId ? ' same trace' : ''}`,
    );
  }

  const clientAudit = (await clientWrit.ready()).fileAudit;
  const serverAudit = (await serverWrit.ready()).fileAudit;
  const clientLog = await verifyLog(clientAudit?.dir ?? '', {
    verifierKey: clientAudit?.verifierKey,
    deep: true,
  });
  const serverLog = await verifyLog(serverAudit?.dir ?? '', {
    verifierKey: serverAudit?.verifierKey,
    deep: true,
  });
  print();
  print(`verify client log: ${clientLog.ok ? 'OK' : `FAILED at ${clientLog.firstBadIndex}`}`);
  print(`verify server log: ${serverLog.ok ? 'OK' : `FAILED at ${serverLog.firstBadIndex}`}`);
  print();
  print(`The server's decisions, all under the client's task ${taskId} (from the verified token):`);
  for await (const line of readLines(serverAudit?.dir ?? '')) {
    const record = JSON.parse(line.bytes.toString()).r as ServerRecord;
    if (record.kind !== 'decision') continue;
    const approver = record.approval?.approver;
    const approval =
      record.approval === undefined
        ? ''
        : ` approval ${record.approval.approved ? 'given' : 'refused'} by ${approver === null || approver === undefined ? 'nobody' : `${approver.id} (${approver.assurance})`}`;
    print(
      `  ${record.call.name}: ${record.decision.effect}${record.refusal ? ` -> refused ${record.refusal.code}` : ''}${approval}` +
        ` | task ${record.taskId === taskId ? '= client task' : record.taskId} | for ${record.requester?.id} | chain ${record.chain.map((p) => p.id).join(' -> ')}`,
    );
  }
  return { lines, taskId, clientLogOk: clientLog.ok, serverLogOk: serverLog.ok, ran };
}

// Shared set-up of the MCP trust-boundary attacks: the caller's side (alice's support desk, its own Writ,
// local authority and log) and an orders MCP server (another Writ, another trust domain, another log),
// with real MCP SDK 1.x servers and clients over the SDK's in-memory transport. The server verifies
// task credentials against the caller's authority, revocations included (what a deployment running
// both in one process shares; across processes see docs/guides/mcp.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { verifyLog } from '@writ/audit';
import { TASK_TOKEN_META_KEY } from '@writ/core/adapter';
import type { PolicyEngine } from '@writ/core/plugin';
import { type LocalIdentity, verifyTaskToken } from '@writ/identity';
import { type InstrumentServerOptions, instrumentClient, instrumentServer } from '@writ/mcp';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { type LogRecord, readRecords } from '../../../packages/mcp/src/__support__/sides.js';

export type { LogRecord };

/** The orders server's resource URI (its audience). */
export const ORDERS = 'https://orders.example/mcp';
/** Another MCP server alice's client talks to. */
export const WEATHER = 'https://weather.example/mcp';

/** How the person at an MCP client answers an approval elicitation. */
export type Answer = (params: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>;

export interface McpWorld {
  readonly clientWrit: WritRuntime;
  readonly serverWrit: WritRuntime;
  /** The caller side's log directory. */
  readonly clientLog: string;
  /** The orders server's log directory. */
  readonly serverLog: string;
  /** The caller side's local identity (signs alice's requester and approver tokens). */
  readonly identity: LocalIdentity;
  /** What the server's tools ran (`tool:orderId[:amount]`). */
  readonly ran: string[];
  /** Every credential the orders server's tool handlers were sent (what a log or proxy there could hold). */
  readonly received: string[];
  /** A new orders McpServer (one per connection), instrumented; `options` added to the world's. */
  ordersServer(options?: Partial<InstrumentServerOptions>): McpServer;
  /** A new MCP client that can answer elicitations (`answer`: cancel when absent). */
  client(answer?: Answer): Client;
  /** The same, instrumented for the server of `audience`. */
  instrumentedClient(audience: string, answer?: Answer): Client;
  connect(server: McpServer, client: Client): Promise<void>;
  /** Runs `fn` in a task of the caller's side for alice (agent support-bot, scope orders:*). */
  asAlice<R>(fn: () => Promise<R>): Promise<R>;
  /** The orders server's records (checkpoints left out), after close(). */
  serverRecords(): Promise<LogRecord[]>;
  /** `verifyLog` of the orders server's log, deep, with its pinned key. */
  verifyServerLog(): ReturnType<typeof verifyLog>;
  close(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function mcpWorld(
  options: { serverPolicy?: PolicyEngine; durability?: 'strict' | 'batched' | 'async' } = {},
): Promise<McpWorld> {
  const clientDir = await mkdtemp(join(tmpdir(), 'writ-attack-mcp-client-'));
  const serverDir = await mkdtemp(join(tmpdir(), 'writ-attack-mcp-server-'));
  const durability = options.durability === undefined ? {} : { durability: options.durability };
  const clientWrit = createWrit({
    dir: clientDir,
    service: 'support-desk',
    trustDomain: 'support.example',
    ...durability,
  });
  const serverWrit = createWrit({
    ...durability,
    dir: serverDir,
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    ...(options.serverPolicy === undefined ? {} : { policy: options.serverPolicy }),
  });
  const { authority, localIdentity, revocations } = await clientWrit.ready();
  await serverWrit.ready();
  const identity = localIdentity as LocalIdentity;
  const aliceToken = await identity.issueRequesterToken({ sub: 'alice@example.com' });
  const ran: string[] = [];
  const received: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  const ordersServer = (extra: Partial<InstrumentServerOptions> = {}) => {
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    instrumentServer(server, {
      writ: serverWrit,
      agent: 'orders-mcp',
      audience: ORDERS,
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
      },
      ...extra,
    });
    const keep = (meta: Record<string, unknown> | undefined) => {
      const token = meta?.[TASK_TOKEN_META_KEY];
      if (typeof token === 'string') received.push(token);
    };
    server.registerTool(
      'lookup_order',
      { inputSchema: { orderId: z.string() }, annotations: { readOnlyHint: true } },
      async ({ orderId }, request) => {
        keep(request._meta);
        ran.push(`lookup_order:${orderId}`);
        return { content: [{ type: 'text', text: `order ${orderId}: shipped` }] };
      },
    );
    server.registerTool(
      'refund_order',
      // the first field is free text: what an attacker pads
      { inputSchema: { note: z.string().optional(), orderId: z.string(), amount: z.number().optional() } },
      async ({ orderId, amount }, request) => {
        keep(request._meta);
        ran.push(`refund_order:${orderId}${amount === undefined ? '' : `:${amount}`}`);
        return { content: [{ type: 'text', text: `order ${orderId}: refunded` }] };
      },
    );
    closers.push(() => server.close());
    return server;
  };

  const client = (answer?: Answer) => {
    const c = new Client({ name: 'support-bot', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    c.setRequestHandler(ElicitRequestSchema, async (request) =>
      answer === undefined ? { action: 'cancel' } : answer(request.params),
    );
    closers.push(() => c.close());
    return c;
  };

  return {
    clientWrit,
    serverWrit,
    clientLog: join(clientDir, 'audit'),
    serverLog: join(serverDir, 'audit'),
    identity,
    ran,
    received,
    ordersServer,
    client,
    instrumentedClient: (audience, answer) => instrumentClient(client(answer), { audience }),
    async connect(server, c) {
      const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
      await server.connect(serverTransport);
      await c.connect(clientTransport);
    },
    asAlice: (fn) =>
      clientWrit.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, fn),
    serverRecords: () => readRecords(join(serverDir, 'audit')),
    async verifyServerLog() {
      const verifierKey = (await serverWrit.publicKeys()).verifierKey;
      return verifyLog(join(serverDir, 'audit'), { verifierKey, deep: true });
    },
    async close() {
      for (const close of closers) await close();
      await clientWrit.close();
      await serverWrit.close();
    },
    async cleanup() {
      await rm(clientDir, { recursive: true, force: true });
      await rm(serverDir, { recursive: true, force: true });
    },
  };
}

/** The text of a tool result's first content block. */
export function text(result: unknown): string {
  const first = (result as { content: { type: string; text?: string }[] }).content[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

export const ofKind = (records: LogRecord[], kind: string) => records.filter((r) => r.kind === kind);

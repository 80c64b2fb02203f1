// Test fixtures: a client side and a server side, each with its own zero-config Writ (own directory,
// own local authority and trust domain, own audit log), real MCP SDK objects connected over the SDK's
// InMemoryTransport or Streamable HTTP on loopback.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  type CallToolResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { readLines, verifyLog } from '@writ/audit';
import { type Attribution, getToolContext } from '@writ/core';
import { verifyTaskToken } from '@writ/identity';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { type InstrumentServerOptions, instrumentClient, instrumentServer } from '../index.js';

/** The Writ hints of the three tools, as an application would give them. */
export const TOOL_HINTS: InstrumentServerOptions['tools'] = {
  lookup_order: {
    permission: 'orders:read',
    resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }),
  },
  refund_order: {
    risk: 'high',
    permission: 'orders:refund',
    resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }),
  },
  delete_customer: { permission: 'customers:delete' },
};

/** A stored audit record (the `r` of a log line). */
// biome-ignore lint/suspicious/noExplicitAny: records are read back from JSON and checked field by field
export type LogRecord = Record<string, any>;

export interface Side {
  readonly writ: WritRuntime;
  readonly dir: string;
  /** Every record of the side's log (checkpoints excluded), after the Writ instance is closed. */
  records(): Promise<LogRecord[]>;
  /** `verifyLog` of the side's log, deep, with the pinned verifier key. */
  verify(): ReturnType<typeof verifyLog>;
}

export interface Parties {
  readonly client: Side;
  readonly server: Side;
  readonly mcpServer: McpServer;
  readonly mcpClient: Client;
  /** A requester token for alice, signed by the client side's local authority. */
  readonly aliceToken: string;
  /** Issuer (and task token audience) of the client side. */
  readonly clientIssuer: string;
  /** What the tool handlers ran, in order. */
  readonly ran: string[];
  /** The attribution each server tool handler saw (from `getToolContext()`). */
  readonly seen: Attribution[];
  /** Elicitation requests the client received. */
  readonly elicitations: ElicitRequest['params'][];
  /** Answers the client gives to elicitations, first in first out. */
  readonly answers: ElicitResult[];
  /** Connects the client and server over InMemoryTransport. */
  connectInMemory(): Promise<void>;
  /** Serves the MCP server over Streamable HTTP on 127.0.0.1 (random port); connects the client. */
  connectHttp(options?: { headers?: Record<string, string> }): Promise<URL>;
  /** Runs `fn` in a client-side task for alice (agent support-bot, scope orders:*). */
  asAlice<R>(fn: (task: { attribution: Attribution; token: string }) => Promise<R>): Promise<R>;
  /** Closes connections and both Writ instances (logs checkpointed). */
  close(): Promise<void>;
  /** Removes the directories. */
  cleanup(): Promise<void>;
}

export interface PartiesOptions {
  /** Client capabilities. @default { elicitation: {} } */
  elicitation?: boolean;
  /** Extra instrumentServer options. */
  server?: Partial<InstrumentServerOptions>;
  /** instrumentClient options (false: leave the client uninstrumented). */
  client?: Parameters<typeof instrumentClient>[1] | false;
}

function side(writ: WritRuntime, dir: string): Side {
  return {
    writ,
    dir,
    async records() {
      const out: LogRecord[] = [];
      for await (const line of readLines(join(dir, 'audit'))) {
        const record = JSON.parse(line.bytes.toString()).r as LogRecord;
        if (record.kind !== 'checkpoint') out.push(record);
      }
      return out;
    },
    async verify() {
      const verifierKey = (await writ.ready()).fileAudit?.verifierKey;
      return verifyLog(join(dir, 'audit'), { verifierKey, deep: true });
    },
  };
}

export function text(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  return first?.type === 'text' ? first.text : '';
}

export async function setupParties(options: PartiesOptions = {}): Promise<Parties> {
  const clientDir = await mkdtemp(join(tmpdir(), 'writ-mcp-client-'));
  const serverDir = await mkdtemp(join(tmpdir(), 'writ-mcp-server-'));
  const clientWrit = createWrit({ dir: clientDir, service: 'support-desk', trustDomain: 'support.example' });
  const serverWrit = createWrit({ dir: serverDir, service: 'orders-mcp', trustDomain: 'orders.example' });
  const { authority: clientAuthority, localIdentity } = await clientWrit.ready();
  await serverWrit.ready();
  const aliceToken = (await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' })) as string;

  const ran: string[] = [];
  const seen: Attribution[] = [];
  const mcpServer = new McpServer({ name: 'orders', version: '1.0.0' });
  const orderId = { orderId: z.string() };
  // registered BEFORE instrumentServer …
  mcpServer.registerTool(
    'lookup_order',
    { description: 'Look an order up', inputSchema: orderId, annotations: { readOnlyHint: true } },
    async ({ orderId }) => {
      ran.push(`lookup_order:${orderId}`);
      seen.push(getToolContext().attribution);
      return { content: [{ type: 'text', text: JSON.stringify({ orderId, status: 'shipped' }) }] };
    },
  );
  instrumentServer(mcpServer, {
    writ: serverWrit,
    agent: 'orders-mcp',
    tools: TOOL_HINTS,
    verifyTaskToken: (token) =>
      verifyTaskToken(token, {
        issuer: clientAuthority.issuer,
        audience: clientAuthority.issuer,
        jwks: clientAuthority.jwks(),
      }),
    ...options.server,
  });
  // … and AFTER it: both are wrapped
  mcpServer.registerTool(
    'refund_order',
    { description: 'Refund an order', inputSchema: orderId },
    async ({ orderId }) => {
      ran.push(`refund_order:${orderId}`);
      seen.push(getToolContext().attribution);
      return { content: [{ type: 'text', text: `refunded ${orderId}` }] };
    },
  );
  mcpServer.tool(
    'delete_customer',
    'Delete a customer',
    { customerId: z.string() },
    async ({ customerId }) => {
      ran.push(`delete_customer:${customerId}`);
      return { content: [{ type: 'text', text: `deleted ${customerId}` }] };
    },
  );

  const elicitations: ElicitRequest['params'][] = [];
  const answers: ElicitResult[] = [];
  const mcpClient = new Client(
    { name: 'support-bot', version: '1.0.0' },
    { capabilities: options.elicitation === false ? {} : { elicitation: {} } },
  );
  if (options.elicitation !== false) {
    mcpClient.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params);
      return answers.shift() ?? { action: 'cancel' };
    });
  }
  if (options.client !== false) instrumentClient(mcpClient, options.client);

  let http: HttpServer | undefined;
  const closers: (() => Promise<void>)[] = [];

  return {
    client: side(clientWrit, clientDir),
    server: side(serverWrit, serverDir),
    mcpServer,
    mcpClient,
    aliceToken,
    clientIssuer: clientAuthority.issuer,
    ran,
    seen,
    elicitations,
    answers,
    async connectInMemory() {
      const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
      await mcpServer.connect(serverTransport);
      await mcpClient.connect(clientTransport);
    },
    async connectHttp(httpOptions = {}) {
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
      await mcpServer.connect(transport);
      http = createServer((req: IncomingMessage & { auth?: AuthInfo }, res) => {
        // what a bearer-auth middleware does once it accepted the token: the transport hands it to tools
        const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (bearer !== undefined) req.auth = { token: bearer, clientId: 'support-bot', scopes: [] };
        void transport.handleRequest(req, res);
      });
      const server = http;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const url = new URL(`http://127.0.0.1:${port}/mcp`);
      await mcpClient.connect(
        new StreamableHTTPClientTransport(url, { requestInit: { headers: httpOptions.headers ?? {} } }),
      );
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      );
      return url;
    },
    asAlice(fn) {
      return clientWrit.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, (task) =>
        fn({ attribution: task.attribution, token: task.credential?.token as string }),
      );
    },
    async close() {
      await mcpClient.close();
      await mcpServer.close();
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

// Set-up of the issue 21 item 2 attacks (evidence-carried.test.ts): two real runtimes, alice's support
// desk (its requesters verified by an identity provider of its own, not by the desk's authority) and the
// orders MCP server (its own key, trust domain and log), traced with a real OTel SDK tracer, over the MCP
// SDK's in-memory transport.
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Tracer } from '@opentelemetry/api';
import { TASK_TOKEN_META_KEY } from '@writ/core/adapter';
import {
  composeIdentity,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
  verifyTaskToken,
} from '@writ/identity';
import { instrumentServer } from '@writ/mcp';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { ORDERS } from './mcp-world.js';

/** The identity provider that verifies the desk's requesters. */
export const IDP = 'https://login.support.example';

export interface CarriedWorld {
  readonly idp: LocalAuthority;
  readonly desk: WritRuntime;
  readonly orders: WritRuntime;
  readonly deskAuthority: LocalAuthority;
  readonly deskLog: string;
  readonly ordersLog: string;
  /** A new orders server, instrumented, verifying the desk's credentials, connected to `client`. */
  connectOrders(client: Client): Promise<void>;
  /** The desk's authority signing exactly these claims (over a valid base) as a credential for ORDERS. */
  handMade(over: Record<string, unknown>): Promise<string>;
  /** A raw MCP client's `lookup_order` call sending `token` and whatever `_meta` it is given. */
  lookup(client: Client, token: string, meta?: Record<string, unknown>): ReturnType<Client['callTool']>;
  /** Closes the connections and both runtimes. */
  close(): Promise<void>;
}

export async function carriedWorld(dir: string, tracer: Tracer): Promise<CarriedWorld> {
  const idp = await createLocalAuthority({
    dir: join(dir, 'idp'),
    trustDomain: 'login.support.example',
    issuer: IDP,
  });
  const agents = {
    agentIdentity: async (agent: string) => ({
      kind: 'agent' as const,
      id: `spiffe://support.example/agent/${agent}`,
      name: agent,
      issuer: 'spiffe://support.example',
      assurance: 'verified' as const,
    }),
  };
  const desk = createWrit({
    dir: join(dir, 'desk'),
    service: 'support-desk',
    trustDomain: 'support.example',
    identity: composeIdentity({ requesters: createLocalIdentity({ authority: idp }), agents }),
    telemetry: { tracer },
  });
  const orders = createWrit({
    dir: join(dir, 'orders'),
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    telemetry: { tracer },
  });
  const deskAuthority = (await desk.ready()).authority;
  await orders.ready();
  const closers: (() => Promise<unknown>)[] = [];
  return {
    idp,
    desk,
    orders,
    deskAuthority,
    deskLog: join(dir, 'desk', 'audit'),
    ordersLog: join(dir, 'orders', 'audit'),
    async connectOrders(client) {
      const server = new McpServer({ name: 'orders', version: '1.0.0' });
      instrumentServer(server, {
        writ: orders,
        agent: 'orders-mcp',
        audience: ORDERS,
        verifyTaskToken: (token, { audience }) =>
          verifyTaskToken(token, { issuer: deskAuthority.issuer, audience, jwks: deskAuthority.jwks() }),
        tools: { lookup_order: { permission: 'orders:read' } },
      });
      server.registerTool('lookup_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }) => ({
        content: [{ type: 'text', text: `order ${orderId}: shipped` }],
      }));
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(b);
      await client.connect(a);
      closers.push(
        () => client.close(),
        () => server.close(),
      );
    },
    handMade(over) {
      const now = Math.floor(Date.now() / 1000);
      return deskAuthority.sign(
        {
          iss: deskAuthority.issuer,
          sub: 'alice@example.com',
          aud: ORDERS,
          txn: `hand-made-${Math.random().toString(36).slice(2)}`,
          scope: 'orders:read',
          iat: now,
          exp: now + 60,
          jti: `jti-${Math.random().toString(36).slice(2)}`,
          req_wl: 'spiffe://support.example/agent/support-bot',
          act: { sub: 'spiffe://support.example/agent/support-bot' },
          tctx: { correlation_id: 'corr-hand-made' },
          ...over,
        },
        { typ: 'at+jwt' },
      );
    },
    lookup: (client, token, meta = {}) =>
      client.callTool({
        name: 'lookup_order',
        arguments: { orderId: '42' },
        _meta: { ...meta, [TASK_TOKEN_META_KEY]: token },
      }),
    async close() {
      for (const close of closers) await close();
      await desk.close();
      await orders.close();
    },
  };
}

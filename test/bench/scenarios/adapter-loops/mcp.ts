// The MCP loop for the adapters scenario (see loop.ts): an MCP client calling `lookup_order` on an MCP
// server, both from the MCP SDK 1.x, over the SDK's in-memory transport (as test/hardening's mcp-world).
// ab-mcp-builds.ts builds the same client and server for each of two builds.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Writ } from '@writ/core';
import { instrumentServer } from '@writ/mcp';
import { z } from 'zod';
import { ARGS, type LookupArgs, lookupOrder } from '../../fixtures.ts';
import { type AdapterLoop, HINTS } from './loop.ts';

/** The server's agent: each inbound request is a task of its own (`writ.task({ agent })`). */
export const MCP_AGENT = 'orders-mcp';

/**
 * The `instrumentServer` options of the bench: `requireTaskToken: false` and no token sent, so each
 * request runs in an autonomous task of the server's agent (the verified-token path, with its signature
 * check, is the tool-server scenario's).
 */
export const benchServerOptions = (writ: Writ) => ({
  writ,
  agent: MCP_AGENT,
  audience: 'https://orders.example/mcp',
  requireTaskToken: false,
  verifyTaskToken: (): never => {
    throw new Error('the bench sends no task token');
  },
  tools: HINTS,
});

/**
 * A connected client of a server serving `lookup_order` with `body`, `prepare`d (instrumented, or not)
 * before the tool is registered; the client and server closers are pushed onto `closers`.
 */
export async function mcpClientFor(
  body: (args: LookupArgs) => Promise<unknown>,
  prepare: (server: McpServer) => void,
  closers: (() => Promise<unknown>)[],
): Promise<() => Promise<unknown>> {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  prepare(server);
  server.registerTool(
    'lookup_order',
    { inputSchema: { orderId: z.string() }, annotations: { readOnlyHint: true } },
    async (args) => ({ content: [{ type: 'text', text: JSON.stringify(await body(args)) }] }),
  );
  const client = new Client({ name: 'support-bot', version: '1.0.0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  closers.push(
    () => client.close(),
    () => server.close(),
  );
  return () => client.callTool({ name: 'lookup_order', arguments: { ...ARGS } });
}

/**
 * One `client.callTool` round trip per run. The adapter is `instrumentServer` on the server side
 * ({@link benchServerOptions}). The direct case's handler does the same: `writ.task({ agent })` around the
 * `writ.tool` call.
 */
export function mcpLoop(): AdapterLoop {
  const closers: (() => Promise<unknown>)[] = [];
  const none = () => undefined;
  return {
    id: 'mcp',
    loop: 'MCP SDK 1.x client.callTool → McpServer, in-memory transport',
    adapter: '@writ/mcp instrumentServer',
    ownTasks: true,
    none: () => mcpClientFor(lookupOrder, none, closers),
    adapted: (writ) =>
      mcpClientFor(lookupOrder, (server) => instrumentServer(server, benchServerOptions(writ)), closers),
    direct: (call, writ) =>
      mcpClientFor((args) => writ.task({ agent: MCP_AGENT }, () => call(args)), none, closers),
    async close() {
      for (const close of closers) await close().catch(() => undefined);
    },
  };
}

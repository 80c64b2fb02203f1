// The MCP loop for the adapters scenario (see loop.ts): an MCP client calling `lookup_order` on an MCP
// server, both from the MCP SDK 1.x, over the SDK's in-memory transport (as test/hardening's mcp-world).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Writ } from '@writ/core';
import { instrumentServer } from '@writ/mcp';
import { z } from 'zod';
import { ARGS, type LookupArgs, lookupOrder } from '../../fixtures.ts';
import { type AdapterLoop, HINTS } from './loop.ts';

/** The server's agent: each inbound request is a task of its own (`writ.task({ agent })`). */
const AGENT = 'orders-mcp';

/**
 * One `client.callTool` round trip per run. The adapter is `instrumentServer` on the server side, with
 * `requireTaskToken: false` and no token sent, so each request runs in an autonomous task of the server's
 * agent (the verified-token path, with its signature check, is the tool-server scenario's). The direct
 * case's handler does the same: `writ.task({ agent })` around the `writ.tool` call.
 */
export function mcpLoop(): AdapterLoop {
  const closers: (() => Promise<unknown>)[] = [];
  const clientFor = async (body: (args: LookupArgs) => Promise<unknown>, writ?: Writ) => {
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    if (writ !== undefined) {
      instrumentServer(server, {
        writ,
        agent: AGENT,
        audience: 'https://orders.example/mcp',
        requireTaskToken: false,
        verifyTaskToken: () => {
          throw new Error('the bench sends no task token');
        },
        tools: HINTS,
      });
    }
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
  };
  return {
    id: 'mcp',
    loop: 'MCP SDK 1.x client.callTool → McpServer, in-memory transport',
    adapter: '@writ/mcp instrumentServer',
    ownTasks: true,
    none: () => clientFor(lookupOrder),
    adapted: (writ) => clientFor(lookupOrder, writ),
    direct: (call, writ) => clientFor((args) => writ.task({ agent: AGENT }, () => call(args))),
    async close() {
      for (const close of closers) await close().catch(() => undefined);
    },
  };
}

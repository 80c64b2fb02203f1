// A replica of an MCP tool server for the fleet MCP tests (issue 20 item 2): its own process, its own
// createWrit (own local authority, own file audit log), the call ledger and approvals shared in
// PostgreSQL, suspend mode, the MCP SDK 1.x McpServer over Streamable HTTP on loopback. Every replica
// has the same audience (the MCP URL clients use). Driven over IPC by fleet-mcp.test.ts; built packages only.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createInMemoryPolicy } from '@writ/core/testing';
import { verifyTaskToken } from '@writ/identity';
import { instrumentServer } from '@writ/mcp';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import pg from 'pg';
import { createWrit } from 'writ';
import { z } from 'zod';
import { serveFleetOps } from './fleet-serve.mjs';

const { DATABASE_URL, WRIT_DIR, MEMBER, STORE_KEY, CALLER, AUDIENCE, APPROVAL_URL } = process.env;
const caller = JSON.parse(CALLER); // the calling side's public keys: { issuer, jwks }
let offset = 0;
const clock = () => Date.now() + offset;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
pool.on('error', () => undefined);
const store = createPostgresStores({
  connectionString: DATABASE_URL,
  signer: hmacRowSigner(STORE_KEY),
  clock,
});
const writ = createWrit({
  dir: WRIT_DIR,
  service: 'orders-mcp',
  trustDomain: 'orders.example',
  policy: createInMemoryPolicy({
    rules: [
      { id: 'refunds', effect: 'approval_required', tool: 'refund_order' },
      { id: 'lookups', effect: 'allow', tool: 'lookup_order' },
    ],
  }),
  stores: store.stores,
  approvalMode: 'suspend',
  clock,
  timeouts: { approvalMs: 60_000 },
});
await writ.ready();

function ordersServer() {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  instrumentServer(server, {
    writ,
    agent: 'orders-mcp',
    audience: AUDIENCE,
    verifyTaskToken: (token, { audience }) =>
      verifyTaskToken(token, { issuer: caller.issuer, audience, jwks: caller.jwks }),
    tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
    ...(APPROVAL_URL ? { approvalUrl: (p) => `${APPROVAL_URL}/${encodeURIComponent(p.bindingHash)}` } : {}),
  });
  server.registerTool(
    'refund_order',
    { inputSchema: { orderId: z.string(), amount: z.number(), delayMs: z.number().optional() } },
    async ({ orderId, amount, delayMs }) => {
      await pool.query('INSERT INTO public.executions (tool, call, member) VALUES ($1, $2, $3)', [
        'refund_order',
        orderId,
        MEMBER,
      ]);
      if (delayMs) await sleep(delayMs);
      return { content: [{ type: 'text', text: `order ${orderId}: refunded ${amount} by ${MEMBER}` }] };
    },
  );
  return server;
}

// one MCP session per client connection (stateful Streamable HTTP), any session on any replica
const sessions = new Map();
const http = createServer(async (req, res) => {
  const id = req.headers['mcp-session-id'];
  let transport = typeof id === 'string' ? sessions.get(id) : undefined;
  if (transport === undefined) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => sessions.set(sid, transport),
    });
    await ordersServer().connect(transport);
  }
  await transport.handleRequest(req, res);
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));

const ops = {
  async clock({ offsetMs }) {
    offset = offsetMs;
    return offset;
  },
  async close() {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(() => resolve()));
    for (const transport of sessions.values()) await transport.close().catch(() => undefined);
    await writ.close();
    await store.close();
    await pool.end();
    return true;
  },
};

serveFleetOps(ops, { port: http.address().port });

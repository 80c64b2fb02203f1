// The orders MCP server as its own process, served over Streamable HTTP the way the MCP SDK deploys it:
// an Express app bound to 127.0.0.1 that refuses foreign Host headers (allowedHosts, against DNS
// rebinding), one stateful session per client (elicitation needs the session's stream), one McpServer
// per session, every tool through Writ. It trusts the support desk's tokens through the desk's public
// keys (a JWKS URL), and accepts only credentials issued for its own URL.
//
//   ORDERS_DIR=.writ/orders ISSUER=spiffe://support.example ISSUER_JWKS_URL=http://127.0.0.1:4000/.well-known/jwks.json \
//     node src/http/orders-server.ts
//
// Prints one JSON line when it listens ({ url, verifierKey }); SIGTERM closes it (log sealed), exit 0.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { verifyTaskToken } from '@writ/identity';
import { instrumentServer } from '@writ/mcp';
import { createRemoteJWKSet } from 'jose';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';

/** Where the orders server runs and whom it trusts. */
export interface OrdersServerOptions {
  /** The server's Writ directory (keys, audit log). */
  readonly dir: string;
  /** Issuer of the tokens it accepts (the support desk's authority). */
  readonly issuer: string;
  /** Where the issuer publishes its public keys. */
  readonly jwksUrl: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

/** A request as Express hands it over (a node request with the parsed JSON body). */
type Request = IncomingMessage & { body?: unknown };

export async function startOrdersServer(options: OrdersServerOptions) {
  const writ = createWrit({
    dir: options.dir,
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    agents: [defineAgent({ id: 'orders-mcp', owner: 'orders@example.com', purpose: 'Serve order tools' })],
  });
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const host = '127.0.0.1';
  // the SDK's Express app: JSON body parsing, and Host header validation against allowedHosts
  const app = createMcpExpressApp({ host, allowedHosts: [host] });
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let audience = ''; // this server's URL, known once it listens

  const ordersServer = () => {
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    instrumentServer(server, {
      writ,
      agent: 'orders-mcp',
      audience,
      verifyTaskToken: (token, context) =>
        verifyTaskToken(token, { issuer: options.issuer, audience: context.audience, jwks }),
      tools: {
        lookup_order: { permission: 'orders:read' },
        refund_order: { risk: 'high', permission: 'orders:refund' },
      },
    });
    server.registerTool(
      'lookup_order',
      { inputSchema: { orderId: z.string() }, annotations: { readOnlyHint: true } },
      async ({ orderId }) => ({ content: [{ type: 'text', text: `order ${orderId}: shipped` }] }),
    );
    server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }) => ({
      content: [{ type: 'text', text: `order ${orderId}: refunded` }],
    }));
    return server;
  };

  const refuse = (res: ServerResponse, status: number, message: string) =>
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));

  // POST: a new session starts with `initialize`; later requests name their session
  app.post('/mcp', async (req: Request, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (transport === undefined) {
      if (id !== undefined || !isInitializeRequest(req.body)) {
        return refuse(res, id === undefined ? 400 : 404, 'no such session: start one with initialize');
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
      });
      created.onclose = () => {
        if (created.sessionId !== undefined) sessions.delete(created.sessionId);
      };
      await ordersServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, req.body);
  });
  // GET (the session's notification stream) and DELETE (end of session) need a session
  const inSession = async (req: Request, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    const transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (transport === undefined) return refuse(res, 404, 'no such session');
    await transport.handleRequest(req, res);
  };
  app.get('/mcp', inSession);
  app.delete('/mcp', inSession);

  const listener = await new Promise<import('node:http').Server>((resolve) => {
    const server = app.listen(options.port ?? 0, host, () => resolve(server));
  });
  audience = `http://${host}:${(listener.address() as AddressInfo).port}/mcp`;
  const { verifierKey } = await writ.publicKeys();
  return {
    url: audience,
    verifierKey: verifierKey as string,
    async close() {
      for (const transport of sessions.values()) await transport.close();
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await writ.close();
    },
  };
}

// run as a process
if (import.meta.filename === process.argv[1]) {
  const { ORDERS_DIR, ISSUER, ISSUER_JWKS_URL, PORT } = process.env;
  if (ORDERS_DIR === undefined || ISSUER === undefined || ISSUER_JWKS_URL === undefined) {
    console.error('set ORDERS_DIR, ISSUER and ISSUER_JWKS_URL');
    process.exit(2);
  }
  const server = await startOrdersServer({
    dir: ORDERS_DIR,
    issuer: ISSUER,
    jwksUrl: ISSUER_JWKS_URL,
    port: Number(PORT ?? 0),
  });
  console.log(JSON.stringify({ url: server.url, verifierKey: server.verifierKey }));
  process.once('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
}

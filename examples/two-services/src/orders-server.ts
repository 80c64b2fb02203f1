// Process B: the orders MCP server, a service of its own. Its own Writ runtime (trust domain
// orders.example), its own key and its own file log; Streamable HTTP on 127.0.0.1 with stateful sessions
// (an approval is asked over the session's stream). It trusts the support desk's credentials through the
// desk's public keys (a JWKS URL) and only for its own URL; approvers sign in at the OpenID Provider.
// Its policy is its own (the shipped Cedar set): refunds are high risk here (a human must approve),
// deleting a customer is destructive and outside any orders scope (denied).
//
//   ORDERS_DIR=… ISSUER=spiffe://support.example ISSUER_JWKS_URL=http://127.0.0.1:4000/.well-known/jwks.json \
//     APPROVER_ISSUER=http://127.0.0.1:4001 APPROVER_AUDIENCE=webapp node src/orders-server.ts
//
// Prints one JSON line when it listens ({ url, verifierKey }); SIGTERM closes it (log sealed), exit 0.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createOidcRequesterVerifier, verifyTaskToken } from '@writ/identity';
import { instrumentServer } from '@writ/mcp';
import { createRemoteJWKSet } from 'jose';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';

/** Where the orders server runs and whom it trusts. */
export interface OrdersServerOptions {
  /** The server's Writ directory (keys, audit log). */
  readonly dir: string;
  /** Issuer of the credentials it accepts (the support desk's authority). */
  readonly issuer: string;
  /** Where that issuer publishes its public keys. */
  readonly jwksUrl: string;
  /** The OpenID Provider approvers sign in at, and the client id their ID tokens are for. */
  readonly approvers: { readonly issuer: string; readonly audience: string };
  /** @default 0 (any free port) */
  readonly port?: number;
}

/** A request as Express hands it over (a node request with the parsed JSON body). */
type Request = IncomingMessage & { body?: unknown };

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

export async function startOrdersServer(options: OrdersServerOptions) {
  const writ = createWrit({
    dir: options.dir,
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    agents: [defineAgent({ id: 'orders-mcp', owner: 'orders@example.com', purpose: 'Serve order tools' })],
  });
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const approvers = createOidcRequesterVerifier(options.approvers);
  const host = '127.0.0.1';
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
      // an approval counts when its approver signed in at the OpenID Provider for it (nonce = binding)
      verifyApprover: (token) => approvers.verifyRequester(token),
      tools: {
        lookup_order: { permission: 'orders:read' },
        refund_order: { risk: 'high', permission: 'orders:refund' },
        delete_customer: { permission: 'customers:delete' },
      },
    });
    server.registerTool(
      'lookup_order',
      { inputSchema: { orderId: z.string() }, annotations: { readOnlyHint: true } },
      async ({ orderId }) => text(`order ${orderId}: delivered, damaged in transit`),
    );
    server.registerTool(
      'refund_order',
      { inputSchema: { orderId: z.string(), amount: z.number() } },
      async ({ orderId, amount }) => text(`order ${orderId}: refunded ${amount}`),
    );
    server.registerTool(
      'delete_customer',
      { inputSchema: { customerId: z.string() }, annotations: { destructiveHint: true } },
      async ({ customerId }) => text(`customer ${customerId}: deleted`),
    );
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
  const inSession = async (req: Request, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    const transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (transport === undefined) return refuse(res, 404, 'no such session');
    await transport.handleRequest(req, res);
  };
  app.get('/mcp', inSession);
  app.delete('/mcp', inSession);

  const listener = await new Promise<Server>((resolve) => {
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
  const { ORDERS_DIR, ISSUER, ISSUER_JWKS_URL, APPROVER_ISSUER, APPROVER_AUDIENCE, PORT } = process.env;
  if (
    ORDERS_DIR === undefined ||
    ISSUER === undefined ||
    ISSUER_JWKS_URL === undefined ||
    APPROVER_ISSUER === undefined ||
    APPROVER_AUDIENCE === undefined
  ) {
    console.error('set ORDERS_DIR, ISSUER, ISSUER_JWKS_URL, APPROVER_ISSUER and APPROVER_AUDIENCE');
    process.exit(2);
  }
  const server = await startOrdersServer({
    dir: ORDERS_DIR,
    issuer: ISSUER,
    jwksUrl: ISSUER_JWKS_URL,
    approvers: { issuer: APPROVER_ISSUER, audience: APPROVER_AUDIENCE },
    port: Number(PORT ?? 0),
  });
  console.log(JSON.stringify({ url: server.url, verifierKey: server.verifierKey }));
  process.once('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
}

// Test fixtures for SDK 2.x: the two Writ sides of ../../__support__/sides.ts with real
// @modelcontextprotocol/server and /client 2.x objects connected over the SDK's InMemoryTransport or
// Streamable HTTP (WebStandardStreamableHTTPServerTransport behind node:http) on loopback.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Client,
  type ElicitRequest,
  type ElicitResult,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import {
  type AuthInfo,
  InMemoryTransport,
  McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import {
  bearerOf,
  listenLoopback,
  ORDERS_AUDIENCE,
  type PartiesOf,
  type PartiesOptionsOf,
  setupSides,
  TOOL_HINTS,
} from '../../__support__/sides.js';
import { type InstrumentServerOptions, instrumentClient, instrumentServer } from '../index.js';

export type Parties = PartiesOf<McpServer, Client, ElicitRequest['params'], ElicitResult>;

export type PartiesOptions = PartiesOptionsOf<
  InstrumentServerOptions,
  Parameters<typeof instrumentClient>[1]
>;

/** node:http → a web `Request` for the 2.x transport, and its `Response` (SSE included) back. */
async function serveWeb(
  transport: WebStandardStreamableHTTPServerTransport,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(key, v);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && chunks.length > 0;
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
  });
  // what a bearer-auth middleware does once it accepted the token: the transport hands it to tools
  const bearer = bearerOf(req);
  const authInfo: AuthInfo | undefined =
    bearer === undefined ? undefined : { token: bearer, clientId: 'support-bot', scopes: [] };
  const response = await transport.handleRequest(request, authInfo === undefined ? {} : { authInfo });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) res.write(next.value);
  } catch {
    // the client went away
  }
  res.end();
}

export async function setupParties(options: PartiesOptions = {}): Promise<Parties> {
  const sides = await setupSides();
  const { tools } = sides;
  const mcpServer = new McpServer({ name: 'orders', version: '1.0.0' });
  const orderId = z.object({ orderId: z.string() });
  // registered BEFORE instrumentServer …
  mcpServer.registerTool(
    'lookup_order',
    { description: 'Look an order up', inputSchema: orderId, annotations: { readOnlyHint: true } },
    ({ orderId }) => tools.lookup(orderId),
  );
  instrumentServer(mcpServer, {
    writ: sides.server.writ,
    agent: 'orders-mcp',
    audience: ORDERS_AUDIENCE,
    tools: TOOL_HINTS,
    verifyTaskToken: sides.verifyTaskToken,
    ...options.server,
  });
  // … and AFTER it: both are wrapped
  mcpServer.registerTool(
    'refund_order',
    { description: 'Refund an order', inputSchema: orderId },
    ({ orderId }) => tools.refund(orderId),
  );
  mcpServer.registerTool(
    'delete_customer',
    { description: 'Delete a customer', inputSchema: z.object({ customerId: z.string() }) },
    ({ customerId }) => tools.remove(customerId),
  );

  const elicitations: ElicitRequest['params'][] = [];
  const answers: ElicitResult[] = [];
  const mcpClient = new Client(
    { name: 'support-bot', version: '1.0.0' },
    { capabilities: options.elicitation === false ? {} : { elicitation: {} } },
  );
  if (options.elicitation !== false) {
    mcpClient.setRequestHandler('elicitation/create', async (request) => {
      elicitations.push(request.params);
      return answers.shift() ?? { action: 'cancel' };
    });
  }
  if (options.client !== false) instrumentClient(mcpClient, { audience: ORDERS_AUDIENCE, ...options.client });
  sides.closers.push(
    () => mcpClient.close(),
    () => mcpServer.close(),
  );

  return {
    ...sides,
    mcpServer,
    mcpClient,
    elicitations,
    answers,
    async connectInMemory() {
      const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
      await mcpServer.connect(serverTransport);
      await mcpClient.connect(clientTransport);
    },
    async connectHttp(httpOptions = {}) {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
      });
      await mcpServer.connect(transport);
      const http = await listenLoopback((req, res) => void serveWeb(transport, req, res));
      await mcpClient.connect(
        new StreamableHTTPClientTransport(http.url, { requestInit: { headers: httpOptions.headers ?? {} } }),
      );
      sides.closers.push(http.close);
      return http.url;
    },
  };
}

// Test fixtures for SDK 1.x: the two Writ sides of ./sides.ts with real MCP SDK 1.x objects connected
// over the SDK's InMemoryTransport or Streamable HTTP on loopback.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type InstrumentServerOptions, instrumentClient, instrumentServer } from '../index.js';
import {
  bearerOf,
  listenLoopback,
  ORDERS_AUDIENCE,
  type PartiesOf,
  type PartiesOptionsOf,
  setupSides,
  TOOL_HINTS,
} from './sides.js';

export {
  approvalRows,
  type LogRecord,
  ORDERS_AUDIENCE,
  type Side,
  TOOL_HINTS,
  text,
  verifiedApproverPolicy,
} from './sides.js';

export type Parties = PartiesOf<McpServer, Client, ElicitRequest['params'], ElicitResult>;

export type PartiesOptions = PartiesOptionsOf<
  InstrumentServerOptions,
  Parameters<typeof instrumentClient>[1]
>;

export async function setupParties(options: PartiesOptions = {}): Promise<Parties> {
  const sides = await setupSides();
  const { tools } = sides;
  const mcpServer = new McpServer({ name: 'orders', version: '1.0.0' });
  const orderId = { orderId: z.string() };
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
  mcpServer.tool('delete_customer', 'Delete a customer', { customerId: z.string() }, ({ customerId }) =>
    tools.remove(customerId),
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
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
      await mcpServer.connect(transport);
      const http = await listenLoopback((req: IncomingMessage & { auth?: AuthInfo }, res) => {
        // what a bearer-auth middleware does once it accepted the token: the transport hands it to tools
        const bearer = bearerOf(req);
        if (bearer !== undefined) req.auth = { token: bearer, clientId: 'support-bot', scopes: [] };
        void transport.handleRequest(req, res);
      });
      await mcpClient.connect(
        new StreamableHTTPClientTransport(http.url, { requestInit: { headers: httpOptions.headers ?? {} } }),
      );
      sides.closers.push(http.close);
      return http.url;
    },
  };
}

// Issue 19 item 8: a typo in an adapter's per-tool hints (`refund_ordr`). Before, the hint was accepted in
// silence and the real `refund_order` ran on default facts: medium risk, so the policy that holds high-risk
// calls for approval let it run. Each adapter now refuses the hints, naming the closest tool; with the name
// spelled right the same call waits for an approval (and none is given, so the tool never runs).
import { tool as langchainTool } from '@langchain/core/tools';
import { createTool } from '@mastra/core/tools';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Agent, tool as agentsTool, type CallToolResultContent, type MCPServer, run } from '@openai/agents';
import { functionCall, ScriptedModel } from '@openai/agents/testing';
import { writTools as aiSdkTools } from '@writ/ai-sdk';
import { writTools as langchainTools, writMiddleware } from '@writ/langchain';
import { writTools as mastraTools } from '@writ/mastra';
import { instrumentServer } from '@writ/mcp';
import { writTools as agentsTools, withWrit } from '@writ/openai-agents';
import { tool as aiTool } from 'ai';
import { AIMessage, createAgent, fakeModel } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, asUser, instance } from './support.js';

// high-risk calls wait for a human; everything else runs
const rules = [
  { id: 'high-risk-needs-approval', effect: 'approval_required' as const, risk: ['high' as const] },
  { id: 'everything-else', effect: 'allow' as const },
];
const typo = { refund_ordr: { risk: 'high' as const } };
const spelledRight = { refund_order: { risk: 'high' as const } };
const refusedTypo = (where: string) =>
  expect.objectContaining({
    code: 'WRIT_OPTIONS_INVALID',
    message: expect.stringContaining(
      `${where}: options.tools.refund_ordr: no tool is named "refund_ordr" (did you mean "refund_order"?)`,
    ),
  });
const orderInput = z.object({ orderId: z.string() });

describe('per-tool hints that name no tool', () => {
  it(
    attack('ai-sdk-hint-typo', 'writTools refuses a hint for refund_ordr; spelled right, the refund waits'),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: string[] = [];
      const tools = {
        refund_order: aiTool({
          inputSchema: orderInput,
          execute: async ({ orderId }) => ran.push(orderId),
        }),
      };
      expect(() => aiSdkTools(tools, { writ, tools: typo as never })).toThrow(refusedTypo('writTools'));

      const governed = aiSdkTools(tools, { writ, tools: spelledRight });
      const outcome = await writ
        .task(asUser(ALICE), () =>
          governed.refund_order.execute?.(
            { orderId: '42' },
            { toolCallId: 'call-1', messages: [], context: {} },
          ),
        )
        .catch((e: unknown) => e);
      expect(outcome).toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
      expect(ran).toEqual([]);
      expect(audit.ofKind('decision').map((d) => d.decision.effect)).toEqual(['approval_required']);
    },
  );

  it(
    attack(
      'langchain-hint-typo',
      'writTools refuses a hint for refund_ordr when wrapping; writMiddleware before the model is asked',
    ),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: string[] = [];
      const refundOrder = langchainTool(
        async ({ orderId }) => {
          ran.push(orderId);
          return `refunded ${orderId}`;
        },
        { name: 'refund_order', description: 'Refund an order', schema: orderInput },
      );
      expect(() => langchainTools([refundOrder], { writ, tools: typo as never })).toThrow(
        refusedTypo('writTools'),
      );

      // the middleware learns the agent's tools at the first model call: the run is refused there
      const agent = (tools: object) => {
        const model = fakeModel()
          .respondWithTools([{ name: 'refund_order', args: { orderId: '42' }, id: 'call-1' }])
          .respond(new AIMessage('Done.'));
        return createAgent({
          model,
          tools: [refundOrder],
          middleware: [writMiddleware({ writ, tools, approvals: 'writ' })],
        });
      };
      const ask = (tools: object) =>
        writ.task(asUser(ALICE), () =>
          agent(tools).invoke({ messages: [{ role: 'user', content: 'Refund order 42' }] }),
        );
      // LangChain wraps a middleware's error in its own (same message), the WritError as its cause
      await expect(ask(typo)).rejects.toMatchObject({
        message: expect.stringContaining('did you mean "refund_order"'),
        cause: refusedTypo('writMiddleware'),
      });
      expect(audit.ofKind('decision')).toEqual([]);

      await ask(spelledRight); // the refusal goes to the model as an error ToolMessage
      expect(ran).toEqual([]);
      expect(audit.ofKind('decision').map((d) => d.decision.effect)).toEqual(['approval_required']);
    },
  );

  it(
    attack(
      'openai-agents-hint-typo',
      'writTools refuses a hint for refund_ordr; withWrit refuses it against the MCP tools listed for a run',
    ),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: string[] = [];
      const refundOrder = agentsTool({
        name: 'refund_order',
        description: 'Refund an order',
        parameters: orderInput,
        execute: async ({ orderId }) => {
          ran.push(orderId);
          return `refunded ${orderId}`;
        },
      });
      expect(() => agentsTools([refundOrder], { writ, tools: typo })).toThrow(refusedTypo('writTools'));
      expect(() =>
        withWrit(new Agent({ name: 'support', tools: [refundOrder] }), { writ, tools: typo }),
      ).toThrow(refusedTypo('withWrit: agent "support"'));

      // an MCP server's tools are known when the SDK lists them, at each turn of a run
      const orders = new OrdersServer(ran);
      const agentWith = (tools: typeof typo | typeof spelledRight) =>
        withWrit(
          new Agent({
            name: 'support',
            model: new ScriptedModel([
              [functionCall('refund_order', { orderId: '42' }, { callId: 'call-1' })],
            ]),
            mcpServers: [orders],
          }),
          { writ, tools },
        );
      const governed = agentWith(typo); // nothing to check against yet
      await expect(writ.task(asUser(ALICE), () => run(governed, 'Refund order 42'))).rejects.toThrow(
        refusedTypo('withWrit: agent "support"'),
      );
      expect(orders.calls).toEqual([]);
      expect(audit.ofKind('decision')).toEqual([]);

      const result = await writ.task(asUser(ALICE), () => run(agentWith(spelledRight), 'Refund order 42'));
      expect(result.interruptions.map((i) => i.name)).toEqual(['refund_order']); // waits for a human
      expect(orders.calls).toEqual([]);
      expect(ran).toEqual([]);
    },
  );

  it(
    attack('mastra-hint-typo', 'writTools refuses a hint for refund_ordr; spelled right, the refund waits'),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: string[] = [];
      const refundOrder = createTool({
        id: 'refund-order',
        description: 'Refund an order',
        inputSchema: orderInput,
        execute: async ({ orderId }) => ran.push(orderId),
      });
      expect(() => mastraTools({ refund_order: refundOrder }, { writ, tools: typo as never })).toThrow(
        refusedTypo('writTools'),
      );

      const governed = mastraTools({ refund_order: refundOrder }, { writ, tools: spelledRight });
      // called outside an agent loop (no tool call id to suspend on): Writ's own approval handler is asked
      const outcome = await writ
        .task(asUser(ALICE), () =>
          (governed.refund_order.execute as (input: unknown, context: unknown) => Promise<unknown>)(
            { orderId: '42' },
            {},
          ),
        )
        .catch((e: unknown) => e);
      expect(outcome).toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
      expect(ran).toEqual([]);
      expect(audit.ofKind('decision').map((d) => d.decision.effect)).toEqual(['approval_required']);
    },
  );

  it(
    attack(
      'mcp-server-hint-typo',
      'instrumentServer refuses (and records) calls while a hint names no registered tool',
    ),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: string[] = [];
      const call = async (tools: typeof typo | typeof spelledRight) => {
        const server = new McpServer({ name: 'orders', version: '1.0.0' });
        instrumentServer(server, {
          writ,
          agent: 'orders-mcp',
          audience: 'https://orders.example/mcp',
          verifyTaskToken: () => {
            throw new Error('no caller in this test sends a token');
          },
          requireTaskToken: false,
          tools,
        });
        // registered after instrumentServer, as servers usually do: hints are checked at call time
        server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }) => {
          ran.push(orderId);
          return { content: [{ type: 'text', text: `refunded ${orderId}` }] };
        });
        const client = new Client({ name: 'support-bot', version: '1.0.0' });
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        await server.connect(serverSide);
        await client.connect(clientSide);
        try {
          return await client.callTool({ name: 'refund_order', arguments: { orderId: '42' } });
        } finally {
          await client.close();
          await server.close();
        }
      };
      const refused = await call(typo);
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain(
        'Refused by Writ (WRIT_OPTIONS_INVALID): instrumentServer: options.tools.refund_ordr: no tool is named \\"refund_ordr\\" (did you mean \\"refund_order\\"?)',
      );
      expect(ran).toEqual([]);
      expect(audit.ofKind('decision').map((d) => [d.call.name, d.refusal?.code])).toEqual([
        ['refund_order', 'WRIT_OPTIONS_INVALID'],
      ]);

      const waiting = await call(spelledRight); // the client cannot answer an elicitation: refused
      expect(waiting.isError).toBe(true);
      expect(ran).toEqual([]);
      expect(audit.ofKind('decision').map((d) => d.decision.effect)).toEqual(['deny', 'approval_required']);
    },
  );
});

/** An MCP server of the Agents SDK's `MCPServer` interface, in process, with one tool. */
class OrdersServer implements MCPServer {
  readonly name = 'orders-mcp';
  cacheToolsList = false;
  readonly calls: string[] = [];
  constructor(private readonly ran: string[]) {}
  async connect() {}
  async close() {}
  async invalidateToolsCache() {}
  async listTools() {
    return [
      {
        name: 'refund_order',
        description: 'Refund an order',
        inputSchema: {
          type: 'object' as const,
          properties: { orderId: { type: 'string' } },
          required: ['orderId'],
          additionalProperties: false,
        },
      },
    ];
  }
  async callTool(name: string, args: Record<string, unknown> | null): Promise<CallToolResultContent> {
    this.calls.push(name);
    this.ran.push(String(args?.orderId));
    return [{ type: 'text', text: 'refunded' }];
  }
}

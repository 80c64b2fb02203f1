// Suspend mode with the 2.x SDK packages, in one process: the server's Writ refuses a call needing
// approval with WRIT_APPROVAL_PENDING, which @writ/mcp/v2 maps to the SDK's own URLElicitationRequiredError
// (-32042) naming approvalUrl; the approval answered in the store (as a console would), the client's
// retry (a new request) is the same call and runs once. Real @modelcontextprotocol/server and /client 2.x
// over the SDK's InMemoryTransport. Across processes with PostgreSQL: test/hardening/boundaries/fleet-mcp.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, ProtocolError } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { createInMemoryApprovalStore } from '@writ/core/plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { ORDERS_AUDIENCE, type Sides, setupSides } from '../__support__/sides.js';
import { REFUSAL_META_KEY } from '../shared/refusal.js';
import { instrumentClient, instrumentServer } from './index.js';

let sides: Sides | undefined;
let serverWrit: WritRuntime | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sides?.close();
  await serverWrit?.close();
  await sides?.cleanup();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  sides = serverWrit = dir = undefined;
});

async function setup(elicitation: { url?: Record<string, never> }) {
  sides = await setupSides();
  dir = await mkdtemp(join(tmpdir(), 'writ-mcp-v2-suspend-'));
  const approvals = createInMemoryApprovalStore({ clock: Date.now, max: 100 });
  serverWrit = createWrit({
    dir,
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    approvalMode: 'suspend',
    stores: { approvals },
  });
  const ran: string[] = [];
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  instrumentServer(server, {
    writ: serverWrit,
    agent: 'orders-mcp',
    audience: ORDERS_AUDIENCE,
    verifyTaskToken: sides.verifyTaskToken,
    tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
    approvalUrl: (pending) => `https://console.example/approvals/${encodeURIComponent(pending.bindingHash)}`,
  });
  server.registerTool(
    'refund_order',
    { inputSchema: z.object({ orderId: z.string() }) },
    async ({ orderId }) => {
      ran.push(orderId);
      return { content: [{ type: 'text' as const, text: `refunded ${orderId}` }] };
    },
  );
  const client = instrumentClient(
    new Client({ name: 'support-bot', version: '1.0.0' }, { capabilities: { elicitation } }),
    { audience: ORDERS_AUDIENCE },
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  sides.closers.push(
    () => client.close(),
    () => server.close(),
  );
  return { client, approvals, ran, asAlice: sides.asAlice };
}

const approve = {
  approved: true,
  approver: { kind: 'human' as const, id: 'bob@example.com', assurance: 'verified' as const },
  answeredAt: 0,
};

describe('@writ/mcp/v2 in suspend mode', () => {
  it('refuses with the SDK’s URLElicitationRequiredError (-32042) naming approvalUrl; the retry runs once once answered', async () => {
    const { client, approvals, ran, asAlice } = await setup({ url: {} });
    await asAlice(async () => {
      const call = () => client.callTool({ name: 'refund_order', arguments: { orderId: '42' } });
      const first = await call().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(first).toBeInstanceOf(ProtocolError);
      const error = first as ProtocolError;
      expect(error.code).toBe(-32042);
      const [asked] = (error.data as { elicitations: { mode: string; elicitationId: string; url: string }[] })
        .elicitations;
      expect(asked?.mode).toBe('url');
      expect(asked?.url).toBe(
        `https://console.example/approvals/${encodeURIComponent(asked?.elicitationId ?? '')}`,
      );
      expect(ran).toEqual([]);
      expect(
        await approvals.answer(asked?.elicitationId as string, { ...approve, answeredAt: Date.now() }),
      ).toMatchObject({ status: 'answered' });
      const retried = (await call()) as { isError?: boolean; content: { text?: string }[] };
      expect(retried.isError).not.toBe(true);
      expect(retried.content[0]?.text).toBe('refunded 42');
      await call(); // once more: replayed, not run again
    });
    expect(ran).toEqual(['42']);
  });

  it('a client without URL elicitation gets the tool error with WRIT_APPROVAL_PENDING and the binding hash', async () => {
    const { client, ran, asAlice } = await setup({});
    const result = (await asAlice(() =>
      client.callTool({ name: 'refund_order', arguments: { orderId: '43' } }),
    )) as { isError?: boolean; _meta?: Record<string, { code: string; bindingHash?: string }> };
    expect(result.isError).toBe(true);
    expect(result._meta?.[REFUSAL_META_KEY]?.code).toBe('WRIT_APPROVAL_PENDING');
    expect(result._meta?.[REFUSAL_META_KEY]?.bindingHash).toMatch(/^sha256:/);
    expect(ran).toEqual([]);
  });
});

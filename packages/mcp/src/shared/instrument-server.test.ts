// instrumentToolServer through the SDK 1.x glue (instrumentServer), on real McpServer objects.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createWrit } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instrumentServer } from '../server.js';

const audit = createInMemoryAuditSink();
const writ = createWrit({ audit });
const options = {
  writ,
  agent: 'orders-mcp',
  audience: 'https://orders.example/mcp',
  verifyTaskToken: () => Promise.reject(new Error('unused')),
};
/** For the calls that should run: an instance that allows every call. */
const allowing = {
  ...options,
  writ: createWrit({ audit, policy: createInMemoryPolicy({ fallback: 'allow' }) }),
};
const reply = () => ({ content: [{ type: 'text' as const, text: 'ok' }] });

function withTool(): { server: McpServer; handler: () => ReturnType<typeof reply> } {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  const handler = () => reply();
  server.registerTool('lookup_order', { inputSchema: { orderId: z.string() } }, handler);
  return { server, handler };
}

const handlerOf = (server: McpServer, name: string) =>
  (server as unknown as { _registeredTools: Record<string, { handler: unknown }> })._registeredTools[name]
    ?.handler;

describe('instrumentToolServer', () => {
  it('wraps the tools registered before it and those registered after it', () => {
    const { server, handler } = withTool();
    expect(instrumentServer(server, options)).toBe(server);
    expect(handlerOf(server, 'lookup_order')).toBeTypeOf('function');
    expect(handlerOf(server, 'lookup_order')).not.toBe(handler);
    const later = () => reply();
    server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, later);
    expect(handlerOf(server, 'refund_order')).toBeTypeOf('function');
    expect(handlerOf(server, 'refund_order')).not.toBe(later);
  });

  it('instruments a server once', () => {
    const { server } = withTool();
    instrumentServer(server, options);
    expect(() => instrumentServer(server, options)).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: 'instrumentServer: this McpServer is already instrumented',
      }),
    );
  });

  it('refuses what is not an McpServer', () => {
    for (const notAServer of [null, 'server']) {
      expect(() => instrumentServer(notAServer as unknown as McpServer, options)).toThrow(
        expect.objectContaining({
          code: 'WRIT_OPTIONS_INVALID',
          message: 'instrumentServer: expected an McpServer',
        }),
      );
    }
  });

  it('checks the options before it touches the server', () => {
    const { server, handler } = withTool();
    expect(() => instrumentServer(server, { ...options, agent: '' })).toThrow(
      /instrumentServer: options\.agent/,
    );
    const { audience: _audience, ...withoutAudience } = options;
    expect(() => instrumentServer(server, withoutAudience as never)).toThrow(
      /instrumentServer: options\.audience: required: this server's resource URI \(RFC 8707\)/,
    );
    expect(() => instrumentServer(server, { ...options, audience: 'orders-mcp' })).toThrow(
      /instrumentServer: options\.audience: orders-mcp must be an absolute URI/,
    );
    expect(() => instrumentServer(server, { ...options, audience: 'https://orders.example/mcp#x' })).toThrow(
      /options\.audience: .* must not have a fragment/,
    );
    expect(handlerOf(server, 'lookup_order')).toBe(handler);
    instrumentServer(server, options); // not marked as instrumented by the failed attempts
  });

  it('is all or nothing: one tool it cannot wrap leaves every tool as it was', () => {
    const { server, handler } = withTool();
    server.registerTool('export_orders', {}, () => reply());
    // what the SDK's experimental registerToolTask stores: a task handler, which Writ cannot gate
    const tools = (server as unknown as { _registeredTools: Record<string, { handler: unknown }> })
      ._registeredTools;
    (tools.export_orders as { handler: unknown }).handler = { createTask: () => undefined };
    expect(() => instrumentServer(server, options)).toThrow(/tool export_orders is a task tool/);
    expect(handlerOf(server, 'lookup_order')).toBe(handler);
  });

  it('checks hints against the registered tools at each call: a typo refuses (and records) the call', async () => {
    const { server } = withTool();
    // refund_order is registered after instrumentServer: its hint is not refused up front
    instrumentServer(server, {
      ...options,
      requireTaskToken: false,
      tools: { refund_order: { risk: 'high' }, lookup_ordr: { risk: 'low' } },
    });
    const ran: string[] = [];
    server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, ({ orderId }) => {
      ran.push(orderId);
      return reply();
    });
    const client = new Client({ name: 'support-bot', version: '1.0.0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    const result = await client.callTool({ name: 'lookup_order', arguments: { orderId: '42' } });
    await client.close();
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      {
        type: 'text',
        text: expect.stringContaining(
          'instrumentServer: options.tools.lookup_ordr: no tool is named "lookup_ordr" (did you mean "lookup_order"?)',
        ),
      },
    ]);
    expect(ran).toEqual([]);
    const [decision] = audit.ofKind('decision').filter((d) => d.call.name === 'lookup_order');
    expect(decision?.refusal?.code).toBe('WRIT_OPTIONS_INVALID');
  });

  it('checks hints again once the tool set changed: a tool removed or renamed after the first call refuses the next', async () => {
    const { server } = withTool();
    instrumentServer(server, {
      ...allowing,
      requireTaskToken: false,
      tools: { lookup_order: { risk: 'low' }, refund_order: { risk: 'low' } },
    });
    const ran: string[] = [];
    server.registerTool('export_orders', {}, () => reply());
    const refund = server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, () => {
      ran.push('refund_order');
      return reply();
    });
    const client = new Client({ name: 'support-bot', version: '1.0.0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    const call = async () => {
      const result = await client.callTool({ name: 'export_orders', arguments: {} });
      return result.isError === true ? JSON.stringify(result.content) : 'ran';
    };
    const refused = expect.stringContaining(
      'Refused by Writ (WRIT_OPTIONS_INVALID): instrumentServer: options.tools.refund_order: no tool is named',
    );
    try {
      expect(await call()).toBe('ran'); // every hint names a registered tool
      refund.update({ name: 'refund_orders' }); // renamed: the hint now names no tool
      expect(await call()).toEqual(refused);
      // registered again under that name: the hints hold again
      const again = server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, () => {
        ran.push('refund_order');
        return reply();
      });
      expect(await call()).toBe('ran');
      again.remove(); // removed: the hint names no tool
      expect(await call()).toEqual(refused);
      expect(await call()).toEqual(refused); // and every later call, until fixed
    } finally {
      await client.close();
    }
    expect(ran).toEqual([]);
    const decisions = audit.ofKind('decision').filter((d) => d.call.name === 'export_orders');
    expect(decisions.map((d) => d.refusal?.code ?? d.decision.effect)).toEqual([
      'allow',
      'WRIT_OPTIONS_INVALID',
      'allow',
      'WRIT_OPTIONS_INVALID',
      'WRIT_OPTIONS_INVALID',
    ]);
  });

  it('checks hints again once a tool is registered: a refusal for a hint naming no tool is not kept', async () => {
    const { server } = withTool();
    instrumentServer(server, {
      ...allowing,
      requireTaskToken: false,
      tools: { cancel_order: { risk: 'low' } },
    });
    const client = new Client({ name: 'support-bot', version: '1.0.0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    try {
      const before = await client.callTool({ name: 'lookup_order', arguments: { orderId: '7' } });
      expect(JSON.stringify(before.content)).toContain('options.tools.cancel_order: no tool is named');
      server.registerTool('cancel_order', { inputSchema: { orderId: z.string() } }, () => reply());
      const after = await client.callTool({ name: 'lookup_order', arguments: { orderId: '7' } });
      expect(after.isError).toBeUndefined();
      expect(after.content).toEqual(reply().content);
    } finally {
      await client.close();
    }
  });
});

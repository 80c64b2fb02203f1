// instrumentToolServer through the SDK 1.x glue (instrumentServer), on real McpServer objects.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createWrit } from '@writ/core';
import { createInMemoryAuditSink } from '@writ/core/testing';
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
});

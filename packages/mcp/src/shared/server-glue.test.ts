import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { registryOf } from './server-glue.js';

describe('registryOf', () => {
  it("returns an McpServer whose tools live in `_registeredTools` (the SDK's own registry)", () => {
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    server.registerTool('lookup_order', { description: 'Look an order up' }, () => ({ content: [] }));
    const registry = registryOf<{ description?: string }>(server, 'no registry');
    expect(registry).toBe(server);
    expect(registry._registeredTools.lookup_order?.description).toBe('Look an order up');
  });

  it('refuses anything else with WRIT_OPTIONS_INVALID and the message it is given', () => {
    for (const notAServer of [
      null,
      undefined,
      'server',
      {},
      { _registeredTools: null },
      { _registeredTools: 'x' },
    ]) {
      expect(() => registryOf(notAServer, 'expected an McpServer')).toThrow(
        expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: 'expected an McpServer' }),
      );
    }
  });
});

import { describe, expect, it } from 'vitest';
import { namesResource, resourceUri } from './resource-uri.js';

describe('resourceUri', () => {
  it('canonicalises as the MCP authorization spec names a server: lowercase scheme and host, no default port, no bare trailing slash', () => {
    expect(resourceUri('HTTPS://Orders.Example.com:443/mcp')).toBe('https://orders.example.com/mcp');
    expect(resourceUri('https://orders.example.com/')).toBe('https://orders.example.com');
    expect(resourceUri(new URL('https://orders.example.com'))).toBe('https://orders.example.com');
    expect(resourceUri('https://orders.example.com:8443/server/mcp')).toBe(
      'https://orders.example.com:8443/server/mcp',
    );
    expect(resourceUri('http://127.0.0.1:3001/mcp')).toBe('http://127.0.0.1:3001/mcp');
    // a path's trailing slash may be significant: kept
    expect(resourceUri('https://orders.example.com/mcp/')).toBe('https://orders.example.com/mcp/');
    expect(resourceUri('urn:example:orders-mcp')).toBe('urn:example:orders-mcp');
  });

  it('refuses what is not a resource URI, naming why', () => {
    expect(() => resourceUri('orders.example.com')).toThrow(/absolute URI/);
    expect(() => resourceUri('https://orders.example.com/mcp#tools')).toThrow(/fragment/);
    expect(() => resourceUri('https://user:pw@orders.example.com/mcp')).toThrow(/user information/);
    expect(() => resourceUri(42 as never)).toThrow(expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }));
  });

  it('an audience names a server when its canonical form is the server’s (only then)', () => {
    const own = resourceUri('https://orders.example.com/mcp');
    expect(namesResource('https://orders.example.com/mcp', own)).toBe(true);
    expect(namesResource('HTTPS://ORDERS.example.com/mcp', own)).toBe(true);
    expect(namesResource('https://orders.example.com', own)).toBe(false);
    expect(namesResource('https://orders.example.com/mcp/other', own)).toBe(false);
    expect(namesResource('spiffe://support.example', own)).toBe(false);
    expect(namesResource('not a uri', own)).toBe(false);
  });
});

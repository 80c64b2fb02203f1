import { WritError } from '@writ/core';

/**
 * The canonical resource URI of an MCP server (RFC 8707 §2, as the MCP authorization specification
 * names a server's audience): an absolute URI without fragment; for `http(s)`, scheme and host in
 * lowercase, no default port, and no trailing slash on a bare host (`https://orders.example.com/`
 * becomes `https://orders.example.com`). Any path stays as given (`https://orders.example.com/mcp`): it
 * tells apart servers sharing a host. Throws `WRIT_OPTIONS_INVALID` when `value` is not such a URI.
 *
 * @example
 * ```ts
 * resourceUri('HTTPS://Orders.Example.com:443/mcp'); // 'https://orders.example.com/mcp'
 * resourceUri(new URL('https://orders.example.com/')); // 'https://orders.example.com'
 * const client = instrumentClient(new Client({ name: 'support-bot', version: '1.0.0' }), {
 *   audience: resourceUri(serverUrl),
 * });
 * ```
 */
export function resourceUri(value: string | URL): string {
  const problem = resourceUriProblem(value);
  if (problem !== undefined) {
    throw new WritError('WRIT_OPTIONS_INVALID', `resourceUri: ${String(value)} ${problem}`);
  }
  return canonical(new URL(String(value)));
}

/** Why `value` is not a server's resource URI, or `undefined` when it is one. @internal */
export function resourceUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' && !(value instanceof URL)) return 'must be a URI string or a URL';
  const text = String(value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URI (with a scheme), e.g. https://orders.example.com/mcp';
  }
  if (text.includes('#')) return 'must not have a fragment (RFC 8707)';
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname === '') {
    return 'must name a host';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry user information';
  return undefined;
}

/** Whether a token's audience entry names the server whose canonical resource URI is `own`. @internal */
export function namesResource(audience: string, own: string): boolean {
  if (audience === own) return true;
  return resourceUriProblem(audience) === undefined && canonical(new URL(audience)) === own;
}

function canonical(url: URL): string {
  const href = url.href; // lowercased scheme and host, default port dropped, path normalised
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && url.search === '') {
    return href.slice(0, -1);
  }
  return href;
}

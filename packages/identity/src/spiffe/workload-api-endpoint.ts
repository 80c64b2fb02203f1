import { isIP } from 'node:net';
import { WritError } from '@writ/core';

/**
 * The environment variable that locates the SPIFFE Workload API (SPIFFE Workload Endpoint spec §4).
 *
 * @example
 * ```ts
 * const client = createWorkloadApiClient({ env: { [SPIFFE_ENDPOINT_SOCKET]: 'unix:///tmp/spire-agent/public/api.sock' } });
 * ```
 */
export const SPIFFE_ENDPOINT_SOCKET = 'SPIFFE_ENDPOINT_SOCKET';

/**
 * Where the Workload API listens.
 *
 * @example
 * ```ts
 * const { transport, address }: WorkloadApiEndpoint = client.endpoint; // 'unix', '/run/spire/agent.sock'
 * ```
 */
export interface WorkloadApiEndpoint {
  /** `unix` (preferred) or `tcp`. */
  readonly transport: 'unix' | 'tcp';
  /** The socket path (unix) or `host:port` (tcp). */
  readonly address: string;
  /** The gRPC target to dial (`unix:/run/spire/agent.sock`, `127.0.0.1:8081`). */
  readonly target: string;
}

/**
 * Options of {@link parseWorkloadApiEndpoint}.
 *
 * @example
 * ```ts
 * parseWorkloadApiEndpoint(value, { source: 'SPIFFE_ENDPOINT_SOCKET' } satisfies ParseWorkloadApiEndpointOptions);
 * ```
 * @internal
 */
export interface ParseWorkloadApiEndpointOptions {
  /** Where the value came from, for messages. @default 'endpoint' */
  source?: string;
}

/**
 * Parses a Workload API endpoint address as the SPIFFE Workload Endpoint spec defines it:
 * `unix:///absolute/path` or `unix:/absolute/path` (no authority, query or fragment), or `tcp://<ip>:<port>`
 * (an IP address, not a host name; nothing after the port). Anything else is refused with
 * `WRIT_OPTIONS_INVALID` and `details.reason`.
 *
 * @example
 * ```ts
 * parseWorkloadApiEndpoint('unix:///run/spire/sockets/agent.sock').target; // 'unix:/run/spire/sockets/agent.sock'
 * parseWorkloadApiEndpoint('tcp://127.0.0.1:8081').target;                 // '127.0.0.1:8081'
 * ```
 * @internal
 */
export function parseWorkloadApiEndpoint(
  value: string,
  options: ParseWorkloadApiEndpointOptions = {},
): WorkloadApiEndpoint {
  const source = options.source ?? 'endpoint';
  const refuse = (reason: string, message: string) =>
    new WritError('WRIT_OPTIONS_INVALID', `${source}: ${message} (got ${JSON.stringify(value)})`, {
      details: { reason, source },
    });
  if (typeof value !== 'string' || value.length === 0)
    throw refuse('empty', 'no Workload API endpoint given');
  if (value.includes('?')) throw refuse('query', 'the endpoint must not have a query');
  if (value.includes('#')) throw refuse('fragment', 'the endpoint must not have a fragment');

  if (value.startsWith('unix:')) {
    let rest = value.slice('unix:'.length);
    if (rest.startsWith('//')) {
      rest = rest.slice(2);
      if (!rest.startsWith('/')) throw refuse('unix_authority', 'a unix endpoint must not have an authority');
    }
    if (!rest.startsWith('/') || rest.length < 2) {
      throw refuse('unix_path_not_absolute', 'a unix endpoint needs an absolute socket path');
    }
    let path: string;
    try {
      path = decodeURIComponent(rest);
    } catch {
      throw refuse('unix_path_invalid', 'the socket path is not a valid URI path');
    }
    return Object.freeze({ transport: 'unix', address: path, target: `unix:${path}` });
  }

  if (value.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw refuse('tcp_invalid', 'not a valid tcp:// URI');
    }
    if (url.username !== '' || url.password !== '')
      throw refuse('tcp_userinfo', 'a tcp endpoint must not have userinfo');
    if (url.pathname !== '') throw refuse('tcp_path', 'a tcp endpoint must not have a path');
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) === 0) throw refuse('tcp_host_not_ip', 'a tcp endpoint host must be an IP address');
    if (url.port === '' || url.port === '0') throw refuse('tcp_port_missing', 'a tcp endpoint needs a port');
    const address = `${url.hostname}:${url.port}`;
    return Object.freeze({ transport: 'tcp', address, target: address });
  }

  throw refuse('unsupported_scheme', 'the Workload API endpoint must be a unix:// or tcp:// URI');
}

import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { parseWorkloadApiEndpoint } from './workload-api-endpoint.js';

describe('parseWorkloadApiEndpoint', () => {
  it.each([
    [
      'unix:///run/spire/sockets/agent.sock',
      'unix',
      '/run/spire/sockets/agent.sock',
      'unix:/run/spire/sockets/agent.sock',
    ],
    ['unix:/tmp/agent.sock', 'unix', '/tmp/agent.sock', 'unix:/tmp/agent.sock'],
    ['unix:///tmp/with%20space.sock', 'unix', '/tmp/with space.sock', 'unix:/tmp/with space.sock'],
    ['tcp://127.0.0.1:8000', 'tcp', '127.0.0.1:8000', '127.0.0.1:8000'],
    ['tcp://[::1]:8081', 'tcp', '[::1]:8081', '[::1]:8081'],
  ])('accepts %s', (value, transport, address, target) => {
    expect(parseWorkloadApiEndpoint(value)).toEqual({ transport, address, target });
  });

  it.each([
    ['', 'empty'],
    ['/run/spire/agent.sock', 'unsupported_scheme'],
    ['http://127.0.0.1:8000', 'unsupported_scheme'],
    ['dns:///localhost:8000', 'unsupported_scheme'],
    ['unix://host/run/agent.sock', 'unix_authority'],
    ['unix:relative/agent.sock', 'unix_path_not_absolute'],
    ['unix:', 'unix_path_not_absolute'],
    ['unix:///tmp/agent.sock?x=1', 'query'],
    ['unix:///tmp/agent.sock#x', 'fragment'],
    ['tcp://localhost:8000', 'tcp_host_not_ip'],
    ['tcp://127.0.0.1', 'tcp_port_missing'],
    ['tcp://127.0.0.1:8000/foo', 'tcp_path'],
    ['tcp://user@127.0.0.1:8000', 'tcp_userinfo'],
    ['tcp://127.0.0.1:99999', 'tcp_invalid'],
  ])('refuses %j (%s)', (value, reason) => {
    let error: unknown;
    try {
      parseWorkloadApiEndpoint(value, { source: 'SPIFFE_ENDPOINT_SOCKET' });
    } catch (caught) {
      error = caught;
    }
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).details).toEqual({ reason, source: 'SPIFFE_ENDPOINT_SOCKET' });
    expect((error as WritError).message).toMatch(/^SPIFFE_ENDPOINT_SOCKET: /);
  });
});

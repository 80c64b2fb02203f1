// oauth4webapi's requests through Writ's bounded fetch, against a scripted HTTP server on 127.0.0.1.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FetchLike } from '@writ/core/internal';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import { answerOf, type HttpBounds, httpOptions } from './oauth-transport.js';

interface Script {
  status: number;
  body?: string | undefined;
  headers?: Record<string, string>;
  hang?: boolean;
}

let server: Server;
let base: string;
const seen: IncomingMessage[] = [];
let script: Script = { status: 200 };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    if (script.hang === true) return;
    res.writeHead(script.status, script.headers);
    res.end(script.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  script = { status: 200 };
});

const bounds = (over: Partial<HttpBounds> = {}): HttpBounds => ({
  timeoutMs: 5_000,
  maxBytes: 1024,
  what: 'OIDC discovery',
  ...over,
});
const discover = (over: Partial<HttpBounds> = {}) =>
  oauth.discoveryRequest(new URL(base), httpOptions(base, bounds(over)));

describe('httpOptions: oauth4webapi requests through the bounded fetch', () => {
  it('hands oauth4webapi the JSON it read, and keeps what it read for answerOf', async () => {
    script = {
      status: 200,
      body: JSON.stringify({ issuer: base }),
      headers: { 'content-type': 'text/plain' },
    };
    const response = await discover();
    expect(seen[0]?.url).toBe('/.well-known/openid-configuration');
    expect(seen[0]?.headers.accept).toBe('application/json');
    expect(answerOf(response)).toMatchObject({ status: 200, json: { issuer: base }, empty: false });
    await expect(oauth.processDiscoveryResponse(new URL(base), response)).resolves.toMatchObject({
      issuer: base,
    });
  });

  it('does not follow redirects: the 3xx itself is the answer', async () => {
    script = { status: 302, headers: { location: 'https://evil.example/.well-known/openid-configuration' } };
    const response = await discover();
    expect(answerOf(response)).toMatchObject({ status: 302, empty: true });
    expect(seen).toHaveLength(1);
  });

  it('passes no body on for an empty, non-JSON or null-body answer', async () => {
    script = { status: 200, body: '<html>' };
    const html = await discover();
    expect(answerOf(html)).toMatchObject({ json: undefined, empty: false });
    expect(await html.text()).toBe('');
    script = { status: 204 };
    expect(answerOf(await discover())).toMatchObject({ status: 204, empty: true });
  });

  it('refuses an answer over maxBytes, one that comes too late, and stops when the caller gives up', async () => {
    script = { status: 200, body: JSON.stringify({ padding: 'x'.repeat(2048) }) };
    expect(await failure(discover())).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'response_too_large' },
    });
    script = { status: 200, hang: true };
    expect(await failure(discover({ timeoutMs: 50 }))).toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
      details: { reason: 'timeout' },
    });
    const controller = new AbortController();
    const waiting = discover({ signal: controller.signal });
    controller.abort();
    expect((await failure(waiting)).code).toBe('WRIT_ABORTED');
  });

  it('uses the fetch it is given (a stub here, for a network failure)', async () => {
    const broken: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await failure(discover({ fetch: broken }))).toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
      details: { reason: 'network' },
    });
    expect(seen).toHaveLength(0);
  });

  it('allows plain http only where the endpoint is http (endpointUrl allows that for loopback hosts only)', async () => {
    expect(httpOptions('http://127.0.0.1:1/token', bounds())[oauth.allowInsecureRequests]).toBe(true);
    const https = httpOptions('https://login.example.com/token', bounds());
    expect(https[oauth.allowInsecureRequests]).toBe(false);
    // oauth4webapi enforces it: an http URL with https-only options is refused before any request
    await expect(oauth.discoveryRequest(new URL(base), https)).rejects.toMatchObject({
      code: oauth.HTTP_REQUEST_FORBIDDEN,
    });
    expect(seen).toHaveLength(0);
  });

  it('answerOf knows only the responses the bounded fetch made', () => {
    expect(() => answerOf(new Response('{}'))).toThrow(expect.objectContaining({ code: 'WRIT_INTERNAL' }));
  });
});

// oauth4webapi's requests through Writ's bounded fetch, against a scripted HTTP server on 127.0.0.1.
import type { FetchLike } from '@writ/core/internal';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import { useScriptedServer } from './__support__/scripted-server.js';
import { answerOf, type HttpBounds, httpOptions } from './oauth-transport.js';

const http = useScriptedServer();
const bounds = (over: Partial<HttpBounds> = {}): HttpBounds => ({
  timeoutMs: 5_000,
  maxBytes: 1024,
  what: 'OIDC discovery',
  ...over,
});
const discover = (over: Partial<HttpBounds> = {}) =>
  oauth.discoveryRequest(new URL(http.base), httpOptions(http.base, bounds(over)));

describe('httpOptions: oauth4webapi requests through the bounded fetch', () => {
  it('hands oauth4webapi the JSON it read, and keeps what it read for answerOf', async () => {
    http.script = {
      status: 200,
      body: JSON.stringify({ issuer: http.base }),
      headers: { 'content-type': 'text/plain' },
    };
    const response = await discover();
    expect(http.seen[0]?.url).toBe('/.well-known/openid-configuration');
    expect(http.seen[0]?.headers.accept).toBe('application/json');
    expect(answerOf(response)).toMatchObject({ status: 200, json: { issuer: http.base }, empty: false });
    await expect(oauth.processDiscoveryResponse(new URL(http.base), response)).resolves.toMatchObject({
      issuer: http.base,
    });
  });

  it('does not follow redirects: the 3xx itself is the answer', async () => {
    http.script = {
      status: 302,
      headers: { location: 'https://evil.example/.well-known/openid-configuration' },
    };
    const response = await discover();
    expect(answerOf(response)).toMatchObject({ status: 302, empty: true });
    expect(http.seen).toHaveLength(1);
  });

  it('passes no body on for an empty, non-JSON or null-body answer', async () => {
    http.script = { status: 200, body: '<html>' };
    const html = await discover();
    expect(answerOf(html)).toMatchObject({ json: undefined, empty: false });
    expect(await html.text()).toBe('');
    http.script = { status: 204 };
    expect(answerOf(await discover())).toMatchObject({ status: 204, empty: true });
  });

  it('refuses an answer over maxBytes, one that comes too late, and stops when the caller gives up', async () => {
    http.script = { status: 200, body: JSON.stringify({ padding: 'x'.repeat(2048) }) };
    expect(await failure(discover())).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'response_too_large' },
    });
    http.script = { status: 200, hang: true };
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
    expect(http.seen).toHaveLength(0);
  });

  it('allows plain http only where the endpoint is http (endpointUrl allows that for loopback hosts only)', async () => {
    expect(httpOptions('http://127.0.0.1:1/token', bounds())[oauth.allowInsecureRequests]).toBe(true);
    const https = httpOptions('https://login.example.com/token', bounds());
    expect(https[oauth.allowInsecureRequests]).toBe(false);
    // oauth4webapi enforces it: an http URL with https-only options is refused before any request
    await expect(oauth.discoveryRequest(new URL(http.base), https)).rejects.toMatchObject({
      code: oauth.HTTP_REQUEST_FORBIDDEN,
    });
    expect(http.seen).toHaveLength(0);
  });

  it('answerOf knows only the responses the bounded fetch made', () => {
    expect(() => answerOf(new Response('{}'))).toThrow(expect.objectContaining({ code: 'WRIT_INTERNAL' }));
  });
});

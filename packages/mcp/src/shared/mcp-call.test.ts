import { describe, expect, it } from 'vitest';
import { findTaskToken, frameworkIds, type McpCall } from './mcp-call.js';

const call = (overrides: Partial<McpCall<{ token?: unknown }>> = {}): McpCall<{ token?: unknown }> => ({
  meta: {},
  requestId: 7,
  sessionId: undefined,
  signal: new AbortController().signal,
  authInfo: undefined,
  headers: undefined,
  ...overrides,
});

describe('frameworkIds', () => {
  it('records the JSON-RPC request id as text, and the session id when the transport has sessions', () => {
    expect(frameworkIds(call())).toEqual({ requestId: '7' });
    expect(frameworkIds(call({ requestId: 'r-1', sessionId: 's-1' }))).toEqual({
      requestId: 'r-1',
      sessionId: 's-1',
    });
  });
});

describe('findTaskToken', () => {
  const everywhere = call({
    meta: { 'io.writ/txn-token': 'from-meta' },
    headers: { 'txn-token': 'from-header' },
    authInfo: { token: 'from-bearer' },
  });

  it('takes the first source, in the order given, that carries a token', () => {
    expect(findTaskToken(everywhere, ['meta', 'header', 'authInfo'])).toEqual({
      token: 'from-meta',
      source: 'meta',
    });
    expect(findTaskToken(everywhere, ['authInfo', 'meta'])).toEqual({
      token: 'from-bearer',
      source: 'authInfo',
    });
    expect(findTaskToken(everywhere, ['header'])).toEqual({ token: 'from-header', source: 'header' });
  });

  it('skips sources without a token, and reads a Headers object too', () => {
    const headersOnly = call({ headers: new Headers({ 'Txn-Token': 'from-headers-object' }) });
    expect(findTaskToken(headersOnly, ['meta', 'authInfo', 'header'])).toEqual({
      token: 'from-headers-object',
      source: 'header',
    });
  });

  it('finds nothing where there is nothing, or only an empty or non-string bearer token', () => {
    expect(findTaskToken(call(), ['meta', 'header', 'authInfo'])).toBeUndefined();
    expect(findTaskToken(call({ authInfo: { token: '' } }), ['authInfo'])).toBeUndefined();
    expect(findTaskToken(call({ authInfo: { token: 42 } }), ['authInfo'])).toBeUndefined();
    // a source not listed is not read
    expect(findTaskToken(everywhere, [])).toBeUndefined();
  });
});

import type { IncomingHttpHeaders } from 'node:http';
import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { bearerToken } from './bearer-token.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function reason(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    expect(WritError.isInstance(error, 'WRIT_TOKEN_INVALID')).toBe(true);
    return (error as WritError).details.reason;
  }
  return 'no error';
}

describe('bearerToken', () => {
  it('reads the token from a Fetch Request, Headers, Node headers and a Node-style request', () => {
    const request = new Request('https://api.example/x', { headers: { Authorization: `Bearer ${JWT}` } });
    const nodeHeaders: IncomingHttpHeaders = { authorization: `Bearer ${JWT}`, host: 'api.example' };
    expect(bearerToken(request)).toBe(JWT);
    expect(bearerToken(request.headers)).toBe(JWT);
    expect(bearerToken(nodeHeaders)).toBe(JWT);
    expect(bearerToken({ headers: nodeHeaders })).toBe(JWT);
    expect(bearerToken({ headers: { Authorization: [`Bearer ${JWT}`] } })).toBe(JWT);
  });

  it('matches the scheme case-insensitively and tolerates extra spaces around the token', () => {
    expect(bearerToken({ authorization: `bearer ${JWT}` })).toBe(JWT);
    expect(bearerToken({ authorization: `BEARER   ${JWT} ` })).toBe(JWT);
    expect(bearerToken({ authorization: 'Bearer abc+/def==' })).toBe('abc+/def==');
  });

  it.each([
    ['another scheme', `Basic ${JWT}`, 'malformed'],
    ['no token', 'Bearer', 'malformed'],
    ['an empty token', 'Bearer ', 'malformed'],
    ['two tokens', `Bearer ${JWT} ${JWT}`, 'malformed'],
    ['two credentials joined by Headers', `Bearer a, Bearer b`, 'malformed'],
    ['a quote', 'Bearer "abc"', 'malformed'],
    ['padding in the middle', 'Bearer ab=c', 'malformed'],
    ['no space after the scheme', `Bearer${JWT}`, 'malformed'],
  ])('refuses %s', (_label, value, expected) => {
    expect(reason(() => bearerToken({ authorization: value }))).toBe(expected);
  });

  it('refuses several Authorization headers', () => {
    expect(reason(() => bearerToken({ authorization: [`Bearer ${JWT}`, `Bearer ${JWT}`] }))).toBe('multiple');
    expect(
      reason(() => bearerToken({ authorization: `Bearer ${JWT}`, Authorization: `Bearer ${JWT}` })),
    ).toBe('multiple');
  });

  it('refuses a missing header unless optional', () => {
    expect(reason(() => bearerToken(new Headers()))).toBe('missing');
    expect(reason(() => bearerToken({ headers: {} }))).toBe('missing');
    expect(bearerToken(new Headers(), { optional: true })).toBeUndefined();
  });

  it('refuses oversized tokens', () => {
    expect(reason(() => bearerToken({ authorization: `Bearer ${'a'.repeat(101)}` }, { maxBytes: 100 }))).toBe(
      'oversized',
    );
    expect(bearerToken({ authorization: `Bearer ${'a'.repeat(100)}` }, { maxBytes: 100 })).toHaveLength(100);
  });

  it('validates its options', () => {
    expect(() => bearerToken({}, { maxBytes: 0 })).toThrow(/maxBytes/);
  });

  const b64token = fc.stringMatching(/^[A-Za-z0-9\-._~+/]+=*$/);

  test.prop([
    b64token,
    fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
    fc.integer({ min: 1, max: 3 }),
  ])('returns exactly the token for every well-formed header (property)', (token, scheme, spaces) => {
    expect(bearerToken({ authorization: `${scheme}${' '.repeat(spaces)}${token}` })).toBe(token);
  });

  test.prop([fc.string({ maxLength: 64 })])(
    'either returns a b64token or throws WRIT_TOKEN_INVALID (property)',
    (value) => {
      let token: string | undefined;
      try {
        token = bearerToken({ authorization: value });
      } catch (error) {
        expect(WritError.isInstance(error, 'WRIT_TOKEN_INVALID')).toBe(true);
        return;
      }
      expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
      expect(value.trim().toLowerCase().startsWith('bearer ')).toBe(true);
    },
  );
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { endpointUrlProblem, isLoopbackHost } from './secure-url.js';

describe('endpointUrlProblem', () => {
  it.each([
    'https://login.example.com',
    'https://login.example.com/realms/writ/protocol/openid-connect/token',
    'http://127.0.0.1:8080/token',
    'http://localhost:3000',
    'http://[::1]:4000/jwks',
  ])('accepts %s', (url) => {
    expect(endpointUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['not a URL', 'login.example.com', /absolute URL/],
    ['plain http to another host', 'http://login.example.com/token', /https/],
    ['plain http to a host that only starts like loopback', 'http://127.0.0.1.example.com/token', /https/],
    ['another scheme', 'ftp://login.example.com', /https/],
    ['user info', 'https://user:pass@login.example.com/token', /user info/],
    ['a fragment', 'https://login.example.com/token#x', /fragment/],
    ['an empty fragment', 'https://login.example.com/token#', /fragment/],
  ])('refuses %s', (_label, url, message) => {
    expect(endpointUrlProblem(url)).toMatch(message);
  });

  it('refuses a query only for issuers', () => {
    expect(endpointUrlProblem('https://login.example.com/token?tenant=a')).toBeUndefined();
    expect(endpointUrlProblem('https://login.example.com?tenant=a', { issuer: true })).toMatch(/query/);
    expect(endpointUrlProblem('https://login.example.com?', { issuer: true })).toMatch(/query/);
  });

  test.prop([fc.webUrl({ validSchemes: ['http'] })])(
    'never accepts plain http off loopback (property)',
    (url) => {
      const problem = endpointUrlProblem(url);
      if (problem === undefined) expect(isLoopbackHost(new URL(url).hostname)).toBe(true);
    },
  );
});

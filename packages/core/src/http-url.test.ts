import { describe, expect, it } from 'vitest';
import { httpUrlProblem, isLoopbackHost } from './internal.js';

describe('httpUrlProblem (the URL rule shared by identity, AuthZEN and OPA clients)', () => {
  it.each([
    ['https://pdp.example.com/access', {}, undefined],
    ['http://127.0.0.1:8181', {}, undefined],
    ['http://[::1]:3592', {}, undefined],
    ['http://pdp.internal', {}, /^must use https/],
    ['http://pdp.internal', { allowInsecureHttp: true }, undefined],
    ['ftp://pdp.example.com', { allowInsecureHttp: true }, /^must use https/],
    ['https://user:pw@pdp.example.com', {}, /user info/],
    ['https://pdp.example.com/#x', {}, /fragment/],
    ['https://pdp.example.com/?tenant=1', {}, undefined],
    ['https://pdp.example.com/?tenant=1', { allowQuery: false }, /query/],
    ['not a url', {}, /absolute URL/],
  ])('%s %j', (url, options, expected) => {
    const problem = httpUrlProblem(url, options);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('knows the loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST'].every(isLoopbackHost)).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });
});

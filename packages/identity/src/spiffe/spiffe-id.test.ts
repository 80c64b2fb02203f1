import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { isSpiffeId, parseSpiffeId, parseTrustDomain, trustDomainOf } from './spiffe-id.js';

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(WritError.isInstance(error, 'WRIT_SPIFFE_ID_INVALID')).toBe(true);
    return (error as WritError).details.reason;
  }
  throw new Error('expected a WRIT_SPIFFE_ID_INVALID error');
}

describe('parseSpiffeId', () => {
  it.each([
    // examples from the SPIFFE ID specification
    ['spiffe://trust-domain-name/path', 'trust-domain-name', '/path'],
    ['spiffe://staging.example.com/payments/mysql', 'staging.example.com', '/payments/mysql'],
    ['spiffe://staging.example.com/payments/web-fe', 'staging.example.com', '/payments/web-fe'],
    ['spiffe://k8s-west.example.com/ns/staging/sa/default', 'k8s-west.example.com', '/ns/staging/sa/default'],
    [
      'spiffe://example.com/9eebccd2-12bf-40a6-b262-65fe0487d453',
      'example.com',
      '/9eebccd2-12bf-40a6-b262-65fe0487d453',
    ],
    ['spiffe://trust_domain_name.example.com', 'trust_domain_name.example.com', ''],
    // edges the rules allow
    ['spiffe://example.org', 'example.org', ''],
    ['spiffe://192.168.0.1/agent', '192.168.0.1', '/agent'],
    ['spiffe://example.org/Agent/Support_Bot-2.v1', 'example.org', '/Agent/Support_Bot-2.v1'],
    ['spiffe://example.org/...', 'example.org', '/...'],
    ['spiffe://example.org/.hidden/a..b', 'example.org', '/.hidden/a..b'],
  ])('accepts %s', (value, trustDomain, path) => {
    const id = parseSpiffeId(value);
    expect(id.trustDomain).toBe(trustDomain);
    expect(id.path).toBe(path);
    expect(String(id)).toBe(value);
    expect(JSON.stringify({ id })).toBe(JSON.stringify({ id: value }));
    expect(isSpiffeId(value)).toBe(true);
  });

  it.each([
    [42, 'not_a_string'],
    [undefined, 'not_a_string'],
    ['', 'empty'],
    ['http://example.org/agent', 'wrong_scheme'],
    ['SPIFFE://example.org/agent', 'wrong_scheme'],
    ['Spiffe://example.org/agent', 'wrong_scheme'],
    ['spiffe:/example.org/agent', 'wrong_scheme'],
    ['spiffe:example.org', 'wrong_scheme'],
    ['example.org/agent', 'wrong_scheme'],
    ['spiffe://example.org/agent?x=1', 'query'],
    ['spiffe://example.org?x=1', 'query'],
    ['spiffe://example.org/agent#frag', 'fragment'],
    ['spiffe://example.org/agent%20x', 'percent_encoded'],
    ['spiffe://%65xample.org/agent', 'percent_encoded'],
    ['spiffe://', 'missing_trust_domain'],
    ['spiffe:///agent', 'missing_trust_domain'],
    ['spiffe://user@example.org/agent', 'userinfo'],
    ['spiffe://example.org:8443/agent', 'port'],
    ['spiffe://[::1]/agent', 'port'],
    [`spiffe://${'a'.repeat(256)}/agent`, 'trust_domain_too_long'],
    ['spiffe://Example.org/agent', 'trust_domain_uppercase'],
    ['spiffe://exa mple.org/agent', 'trust_domain_invalid_char'],
    ['spiffe://exa+mple.org/agent', 'trust_domain_invalid_char'],
    ['spiffe://exämple.org/agent', 'trust_domain_invalid_char'],
    ['spiffe://example.org/', 'trailing_slash'],
    ['spiffe://example.org/agent/', 'trailing_slash'],
    ['spiffe://example.org//agent', 'empty_segment'],
    ['spiffe://example.org/a//b', 'empty_segment'],
    ['spiffe://example.org/./agent', 'dot_segment'],
    ['spiffe://example.org/agent/..', 'dot_segment'],
    ['spiffe://example.org/../agent', 'dot_segment'],
    ['spiffe://example.org/agent/sup port', 'path_invalid_char'],
    ['spiffe://example.org/agent/ü', 'path_invalid_char'],
    ['spiffe://example.org/agent\\x', 'path_invalid_char'],
    [`spiffe://example.org/${'a'.repeat(2048)}`, 'too_long'],
  ])('refuses %j (%s)', (value, reason) => {
    expect(reasonOf(() => parseSpiffeId(value))).toBe(reason);
    expect(isSpiffeId(value)).toBe(false);
  });

  it('accepts an ID of exactly 2048 bytes and refuses one byte more', () => {
    const prefix = 'spiffe://example.org/';
    const exact = `${prefix}${'a'.repeat(2048 - prefix.length)}`;
    expect(String(parseSpiffeId(exact))).toBe(exact);
    expect(reasonOf(() => parseSpiffeId(`${exact}b`))).toBe('too_long');
  });

  it('accepts a 255-character trust domain', () => {
    const name = 'a'.repeat(255);
    expect(parseSpiffeId(`spiffe://${name}/x`).trustDomain).toBe(name);
  });

  it('returns a frozen value', () => {
    const id = parseSpiffeId('spiffe://example.org/agent/support');
    expect(Object.isFrozen(id)).toBe(true);
  });
});

describe('trustDomainOf and parseTrustDomain', () => {
  it('extracts the trust domain of an ID, parsed or not', () => {
    expect(trustDomainOf('spiffe://example.org/agent/support')).toBe('example.org');
    expect(trustDomainOf(parseSpiffeId('spiffe://prod.acme.io/x'))).toBe('prod.acme.io');
    expect(reasonOf(() => trustDomainOf('spiffe://Example.org/x'))).toBe('trust_domain_uppercase');
  });

  it('accepts bare names and trust domain IDs, refuses workload IDs and bad names', () => {
    expect(parseTrustDomain('example.org')).toBe('example.org');
    expect(parseTrustDomain('spiffe://example.org')).toBe('example.org');
    expect(reasonOf(() => parseTrustDomain('spiffe://example.org/agent'))).toBe('not_a_trust_domain');
    expect(reasonOf(() => parseTrustDomain('example.org/agent'))).toBe('not_a_trust_domain');
    expect(reasonOf(() => parseTrustDomain('https://example.org'))).toBe('wrong_scheme');
    expect(reasonOf(() => parseTrustDomain('Example.org'))).toBe('trust_domain_uppercase');
    expect(reasonOf(() => parseTrustDomain('example.org:443'))).toBe('port');
    expect(reasonOf(() => parseTrustDomain(''))).toBe('empty');
    expect(reasonOf(() => parseTrustDomain(null))).toBe('not_a_string');
  });
});

const tdChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789._-'.split(''));
const pathChar = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split(''),
);
const trustDomain = fc.string({ unit: tdChar, minLength: 1, maxLength: 40 });
const segment = fc
  .string({ unit: pathChar, minLength: 1, maxLength: 20 })
  .filter((s) => s !== '.' && s !== '..');
const validId = fc
  .tuple(trustDomain, fc.array(segment, { maxLength: 6 }))
  .map(([td, segments]) => `spiffe://${td}${segments.map((s) => `/${s}`).join('')}`);

describe('properties', () => {
  test.prop(
    [
      fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        validId.map((id) => `${id}${'/?#%:@A '[id.length % 8]}`),
      ),
    ],
    {
      numRuns: 400,
    },
  )('never throws anything but WRIT_SPIFFE_ID_INVALID, and isSpiffeId agrees with parseSpiffeId', (value) => {
    let parsed = true;
    try {
      parseSpiffeId(value);
    } catch (error) {
      parsed = false;
      expect(WritError.isInstance(error, 'WRIT_SPIFFE_ID_INVALID')).toBe(true);
      expect(typeof (error as WritError).details.reason).toBe('string');
    }
    expect(isSpiffeId(value)).toBe(parsed);
  });

  test.prop([validId], { numRuns: 300 })('valid generated IDs round-trip', (value) => {
    const id = parseSpiffeId(value);
    expect(id.toString()).toBe(value);
    expect(`spiffe://${id.trustDomain}${id.path}`).toBe(value);
    expect(String(parseSpiffeId(id.toString()))).toBe(value);
  });

  test.prop([validId, fc.constantFrom('?', '#', '%', '//', '/./', '/../')], { numRuns: 100 })(
    'inserting a forbidden piece after the trust domain always fails',
    (value, piece) => {
      const id = parseSpiffeId(value);
      expect(isSpiffeId(`spiffe://${id.trustDomain}${piece}x${id.path}`)).toBe(false);
    },
  );
});

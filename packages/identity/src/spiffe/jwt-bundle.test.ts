import { WritError } from '@writ/core';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestAuthority, type TestAuthority } from './__support__/svid-fixtures.js';
import { createJwtBundleSet, parseJwtBundle, parseJwtBundles } from './jwt-bundle.js';

let example: TestAuthority;
let partner: TestAuthority;

beforeAll(() => {
  example = createTestAuthority('example.org', { alg: 'ES256' });
  partner = createTestAuthority('partner.io', { alg: 'RS256' });
});

function refusal(fn: () => unknown): WritError {
  try {
    fn();
  } catch (error) {
    if (WritError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a WritError');
}

describe('parseJwtBundle', () => {
  it('keeps jwt-svid keys (and keys without use), drops other uses, strips use, and jose then verifies with them', async () => {
    const jwks = {
      keys: [
        example.jwk,
        { ...partner.jwk, kid: 'x509-ca', use: 'x509-svid' },
        { ...partner.jwk, kid: 'enc-key', use: 'enc' },
        { ...partner.jwk, kid: 'no-use', use: undefined },
      ],
      spiffe_refresh_hint: 300,
      spiffe_sequence: 7,
    };
    const bundle = parseJwtBundle('example.org', JSON.stringify(jwks));
    expect(bundle.trustDomain).toBe('example.org');
    expect(bundle.keys.map((k) => k.kid)).toEqual([example.kid, 'no-use']);
    expect(bundle.keys.every((k) => !('use' in k))).toBe(true);
    expect(bundle.refreshHintSec).toBe(300);
    expect(bundle.sequence).toBe(7);
    expect(Object.isFrozen(bundle) && Object.isFrozen(bundle.keys)).toBe(true);

    const token = example.mint();
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [...bundle.keys] }), {
      audience: 'writ',
    });
    expect(payload.sub).toBe('spiffe://example.org/agent/support');
    // why `use` is stripped: jose refuses a key whose use is not "sig"
    await expect(jwtVerify(token, createLocalJWKSet(example.jwks()), { audience: 'writ' })).rejects.toThrow(
      /no applicable key/i,
    );
  });

  it('accepts bytes (Workload API), base64 JSON (spiffe-helper) and objects, and a trust domain in SPIFFE ID form', () => {
    const text = JSON.stringify(example.jwks());
    const fromBytes = parseJwtBundle('spiffe://example.org', new TextEncoder().encode(text));
    const fromBase64 = parseJwtBundle('example.org', Buffer.from(text).toString('base64'));
    const fromObject = parseJwtBundle('example.org', example.jwks());
    for (const bundle of [fromBytes, fromBase64, fromObject]) {
      expect(bundle.trustDomain).toBe('example.org');
      expect(bundle.keys.map((k) => k.kid)).toEqual([example.kid]);
    }
  });

  it('does not touch the caller object', () => {
    const jwks = example.jwks();
    const before = JSON.stringify(jwks);
    parseJwtBundle('example.org', jwks);
    expect(JSON.stringify(jwks)).toBe(before);
  });

  it('keeps a bundle without JWT-SVID keys: the trust domain is known but trusts no JWT-SVID', () => {
    const bundle = parseJwtBundle('example.org', { keys: [{ ...example.jwk, use: 'x509-svid' }] });
    expect(bundle.keys).toEqual([]);
  });

  it.each([
    ['not JSON', '{"keys": [', 'not_json'],
    ['not a JWK Set', { kid: 'x' }, 'malformed'],
    ['keys not an array', { keys: {} }, 'malformed'],
    ['a key that is not an object', { keys: ['k'] }, 'key_malformed'],
    ['a key without kty', { keys: [{ kid: 'a', use: 'jwt-svid' }] }, 'key_malformed'],
    [
      'a jwt-svid key without kid',
      { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', use: 'jwt-svid' }] },
      'key_missing_kid',
    ],
    [
      'a private key',
      { keys: [{ kty: 'EC', kid: 'a', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] },
      'private_key',
    ],
    ['a symmetric key', { keys: [{ kty: 'oct', kid: 'a', k: 'c2VjcmV0' }] }, 'private_key'],
    [
      'a duplicate kid',
      {
        keys: [
          { kty: 'EC', kid: 'a' },
          { kty: 'RSA', kid: 'a' },
        ],
      },
      'duplicate_kid',
    ],
  ])('refuses %s with WRIT_IDENTITY_INVALID', (_name, input, reason) => {
    const error = refusal(() => parseJwtBundle('example.org', input as never));
    expect(error.code).toBe('WRIT_IDENTITY_INVALID');
    expect(error.details).toMatchObject({ reason, trustDomain: 'example.org' });
  });

  it('refuses an invalid trust domain with WRIT_SPIFFE_ID_INVALID', () => {
    const error = refusal(() => parseJwtBundle('Example.org', example.jwks()));
    expect(error.code).toBe('WRIT_SPIFFE_ID_INVALID');
    expect(
      refusal(() => parseJwtBundle('spiffe://example.org/workload', example.jwks())).details.reason,
    ).toBe('not_a_trust_domain');
  });
});

describe('parseJwtBundles', () => {
  it('parses a map keyed by trust domain ID or name (Workload API and spiffe-helper shapes)', () => {
    const bundles = parseJwtBundles({
      'spiffe://example.org': Buffer.from(JSON.stringify(example.jwks())),
      'partner.io': Buffer.from(JSON.stringify(partner.jwks())).toString('base64'),
    });
    expect(bundles.map((b) => b.trustDomain)).toEqual(['example.org', 'partner.io']);
    const fromText = parseJwtBundles(JSON.stringify({ 'example.org': example.jwks() }));
    expect(fromText[0]?.keys[0]?.kid).toBe(example.kid);
  });

  it('refuses the same trust domain twice and anything but an object', () => {
    const twice = refusal(() =>
      parseJwtBundles({ 'spiffe://example.org': example.jwks(), 'example.org': example.jwks() }),
    );
    expect(twice.details).toMatchObject({ reason: 'duplicate_trust_domain', trustDomain: 'example.org' });
    expect(refusal(() => parseJwtBundles('[1,2]')).details.reason).toBe('malformed');
  });
});

describe('createJwtBundleSet', () => {
  it('looks bundles up by name or trust domain ID and never throws on a bad lookup', () => {
    const set = createJwtBundleSet([parseJwtBundle('example.org', example.jwks())]);
    expect(set.get('example.org')?.trustDomain).toBe('example.org');
    expect(set.get('spiffe://example.org')?.trustDomain).toBe('example.org');
    expect(set.has('partner.io')).toBe(false);
    expect(set.get('Not A Domain')).toBeUndefined();
    expect(set.size).toBe(1);
  });

  it('replaces the whole set at once: removed trust domains are gone, a bad update changes nothing', () => {
    const set = createJwtBundleSet([
      parseJwtBundle('example.org', example.jwks()),
      parseJwtBundle('partner.io', partner.jwks()),
    ]);
    expect(set.trustDomains()).toEqual(['example.org', 'partner.io']);

    set.replace([parseJwtBundle('partner.io', partner.jwks())]);
    expect(set.trustDomains()).toEqual(['partner.io']);
    expect(set.get('example.org')).toBeUndefined();

    const again = parseJwtBundle('example.org', example.jwks());
    const error = refusal(() => set.replace([again, again]));
    expect(error.details.reason).toBe('duplicate_trust_domain');
    expect(set.trustDomains()).toEqual(['partner.io']);

    set.replace([]);
    expect(set.size).toBe(0);
  });

  it('refuses things that are not parsed bundles', () => {
    expect(refusal(() => createJwtBundleSet([{ trustDomain: 'x' } as never])).details.reason).toBe(
      'malformed',
    );
  });
});

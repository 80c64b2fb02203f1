// Hostile JWT bundles: what a tampered sidecar writes to the bundle file, or what a Workload API streams.
// The agent's SVID is genuine (signed by example.org's trusted key); only the bundle is hostile, so every
// refusal comes from how the bundle is read or from what it (no longer) trusts.
import type { TestAuthority } from '../../../../packages/identity/src/spiffe/__support__/svid-fixtures.js';
import type { HostileCase } from '../support.js';

export interface BundleCtx {
  readonly trusted: TestAuthority;
  /** Another key claiming example.org under the same kid. */
  readonly attacker: TestAuthority;
  readonly partner: TestAuthority;
  /** The trusted key as an RSA key under the trusted kid (a key of another type). */
  readonly rsaUnderTrustedKid: TestAuthority;
}

/**
 * A bundle case: `input` is the hostile bundle (file text, or the JSON of one trust domain's JWK Set on
 * the Workload API stream). `via` says where it arrives.
 */
export type BundleCase = HostileCase<BundleCtx> & { readonly via: 'file' | 'workload-api' };

/** A stream whose every message is discarded never becomes ready: refused at the identity deadline. */
const DEADLINE = /did not resolve agent support in time/;

const map = (bundles: Record<string, unknown>) => JSON.stringify(bundles);
const td = (keys: unknown[]) => map({ 'spiffe://example.org': { keys } });

const fileCases: BundleCase[] = [
  {
    name: 'duplicate kid: an attacker key appended under the trusted kid',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'duplicate_kid',
    input: ({ trusted, attacker }) => td([trusted.jwk, attacker.jwk]),
  },
  {
    name: 'private key material in the bundle ("d")',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'private_key',
    input: ({ trusted }) => {
      const d = (trusted.privateKey.export({ format: 'jwk' }) as { d: string }).d;
      return td([{ ...trusted.jwk, d }]);
    },
  },
  {
    name: 'a symmetric key (kty oct) in the bundle',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'private_key',
    input: ({ trusted }) =>
      td([
        trusted.jwk,
        { kty: 'oct', kid: 'hmac-1', use: 'jwt-svid', k: Buffer.from('shared').toString('base64url') },
      ]),
  },
  {
    name: 'a key without kid',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'key_missing_kid',
    input: ({ trusted }) => td([{ ...trusted.jwk, kid: undefined }]),
  },
  {
    name: 'a key without kty',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'key_malformed',
    input: ({ trusted }) => td([{ ...trusted.jwk, kty: undefined }]),
  },
  {
    name: 'a key that is not an object',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'key_malformed',
    input: ({ trusted }) => td([trusted.jwk, 'trust-me']),
  },
  {
    name: 'bundle file is not JSON',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'not_json',
    input: () => '{"spiffe://example.org": {"keys": [',
  },
  {
    name: 'bundle is not a JWK Set',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'malformed',
    input: ({ trusted }) => map({ 'spiffe://example.org': { keys: { primary: trusted.jwk } } }),
  },
  {
    name: 'bundle keyed by a malformed trust domain',
    via: 'file',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'trust_domain_uppercase',
    input: ({ trusted }) => map({ 'spiffe://Example.org': trusted.jwks() }),
  },
  {
    name: 'the same trust domain twice (bare and spiffe:// names)',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'duplicate_trust_domain',
    input: ({ trusted, attacker }) =>
      map({ 'example.org': attacker.jwks(), 'spiffe://example.org': trusted.jwks() }),
  },
  {
    name: 'oversized bundle file (over 1 MiB)',
    via: 'file',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'file_too_large',
    input: ({ trusted }) =>
      map({ 'spiffe://example.org': { ...trusted.jwks(), pad: 'x'.repeat(1_100_000) } }),
  },
  {
    name: 'the signing key is published only with use "enc"',
    via: 'file',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    input: ({ trusted }) => td([{ ...trusted.jwk, use: 'enc' }]),
  },
  {
    name: 'the signing key is published only with use "sig" (JWT-SVID keys are "jwt-svid")',
    via: 'file',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    input: ({ trusted }) => td([{ ...trusted.jwk, use: 'sig' }]),
  },
  {
    name: "the bundle now holds only another trust domain's keys",
    via: 'file',
    code: 'WRIT_ISSUER_MISMATCH',
    reason: 'no_bundle',
    input: ({ partner }) => map({ 'spiffe://partner.org': partner.jwks() }),
  },
  {
    name: "the attacker's key replaced the trusted one under the same kid",
    via: 'file',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'bad_signature',
    input: ({ attacker }) => td([attacker.jwk]),
  },
  {
    name: 'a key of another type (RSA) under the SVID kid',
    via: 'file',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    input: ({ rsaUnderTrustedKid }) => td([rsaUnderTrustedKid.jwk]),
  },
];

const streamCases: BundleCase[] = [
  {
    name: 'stream: the only bundle message has duplicate kids (discarded: nothing is trusted)',
    via: 'workload-api',
    code: 'WRIT_IDENTITY_INVALID',
    message: DEADLINE,
    input: ({ trusted, attacker }) => JSON.stringify({ keys: [trusted.jwk, attacker.jwk] }),
  },
  {
    name: 'stream: the only bundle message carries private key material (discarded)',
    via: 'workload-api',
    code: 'WRIT_IDENTITY_INVALID',
    message: DEADLINE,
    input: ({ trusted }) => {
      const d = (trusted.privateKey.export({ format: 'jwk' }) as { d: string }).d;
      return JSON.stringify({ keys: [{ ...trusted.jwk, d }] });
    },
  },
  {
    name: 'stream: the only bundle message is not JSON (discarded)',
    via: 'workload-api',
    code: 'WRIT_IDENTITY_INVALID',
    message: DEADLINE,
    input: () => '{"keys": [',
  },
  {
    name: 'stream: the signing key is published only with use "enc"',
    via: 'workload-api',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    input: ({ trusted }) => JSON.stringify({ keys: [{ ...trusted.jwk, use: 'enc' }] }),
  },
];

/** Every hostile bundle. */
export const BUNDLE_CASES: readonly BundleCase[] = [...fileCases, ...streamCases];

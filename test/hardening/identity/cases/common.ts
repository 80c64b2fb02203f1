// The hostile-JWT family every token kind must refuse (alg none, HS/RS confusion, key-carrying headers,
// crit, duplicate claims, non-JSON, huge, time claims, audience, issuer, kid, signature), built over a
// TokenKit so each table forges them with that token kind's real trusted key.
import { createHmac } from 'node:crypto';
import type { WritErrorCode } from '@writ/core';
import type { LocalAuthority } from '@writ/identity';
import { attackerRsa, b64, forge } from '../../../../packages/identity/src/__support__/forge.js';
import { type HostileCase, nowSec } from '../support.js';

/** How to forge one token kind: its well-formed header and claims, and its trusted and attacker signers. */
export interface TokenKit {
  /** The header the trusted signer uses (with `over` merged; `undefined` values removed). */
  header(over?: Record<string, unknown>): Record<string, unknown>;
  /** The claims the verifier accepts (with `over` merged; `undefined` values removed). */
  claims(over?: Record<string, unknown>): Record<string, unknown>;
  /** Signs exactly `header.payload` (objects, or raw JSON text for duplicates) with the TRUSTED key. */
  sign(header: Record<string, unknown> | string, payload: Record<string, unknown> | string): string;
  /** Signs with an attacker's key of the same algorithm (not in any trusted key set). */
  signAsAttacker(header: Record<string, unknown>, payload: Record<string, unknown>): string;
  /** What an HS/RS-confusion attacker keys HMAC with: the trusted public key, as published. */
  readonly publicKeyBytes: Buffer;
}

/** Removes `undefined` members (so `over` can delete a claim). */
export function defined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

type Expect = { code: WritErrorCode; reason?: string | undefined };

/** Per-family overrides: a different expectation, or `null` to leave the case out of this family. */
export type Overrides = Partial<Record<CommonCase, Expect | null>>;

export type CommonCase =
  | 'alg none'
  | 'HS256 keyed with the public key'
  | 'jwk header'
  | 'jku header'
  | 'x5u header'
  | 'x5c header'
  | 'unknown crit'
  | 'duplicate claim'
  | 'non-JSON payload'
  | 'payload is a JSON array'
  | 'oversized token'
  | 'no exp'
  | 'expired'
  | 'nbf in the future'
  | 'iat in the future'
  | 'wrong aud'
  | 'wrong iss'
  | 'unknown kid'
  | 'attacker key under the trusted kid'
  | 'payload swapped after signing (lifetime extended)'
  | 'signature stripped'
  | 'two segments'
  | 'JWE-shaped (five segments)'
  | 'header is not JSON';

const hmac = (kit: TokenKit, header: Record<string, unknown>, payload: Record<string, unknown>) => {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', kit.publicKeyBytes).update(input).digest('base64url')}`;
};

/**
 * The common family for a token kind. `kit` gives the kind's forging; `overrides` adapt expectations
 * where the kind's verifier is stricter (a JWT-SVID refuses any unknown header earlier, for example).
 */
export function commonCases<Ctx>(
  kitOf: (ctx: Ctx) => TokenKit,
  overrides: Overrides = {},
): HostileCase<Ctx>[] {
  const ago = (s: number) => nowSec() - s;
  const table: [CommonCase, Expect, (kit: TokenKit) => string][] = [
    [
      'alg none',
      { code: 'WRIT_TOKEN_INVALID', reason: 'alg_not_allowed' },
      (k) => `${b64(JSON.stringify(k.header({ alg: 'none' })))}.${b64(JSON.stringify(k.claims()))}.`,
    ],
    [
      'HS256 keyed with the public key',
      { code: 'WRIT_TOKEN_INVALID', reason: 'alg_not_allowed' },
      (k) => hmac(k, k.header({ alg: 'HS256' }), k.claims()),
    ],
    [
      'jwk header',
      { code: 'WRIT_TOKEN_INVALID', reason: 'forbidden_header' },
      (k) =>
        k.sign(
          k.header({ jwk: { kty: 'OKP', crv: 'Ed25519', x: b64('attacker-key-bytes-0123456789ab') } }),
          k.claims(),
        ),
    ],
    [
      'jku header',
      { code: 'WRIT_TOKEN_INVALID', reason: 'forbidden_header' },
      (k) => k.sign(k.header({ jku: 'https://attacker.example/jwks.json' }), k.claims()),
    ],
    [
      'x5u header',
      { code: 'WRIT_TOKEN_INVALID', reason: 'forbidden_header' },
      (k) => k.sign(k.header({ x5u: 'https://attacker.example/cert.pem' }), k.claims()),
    ],
    [
      'x5c header',
      { code: 'WRIT_TOKEN_INVALID', reason: 'forbidden_header' },
      (k) => k.sign(k.header({ x5c: [b64('not really a certificate')] }), k.claims()),
    ],
    [
      'unknown crit',
      { code: 'WRIT_TOKEN_INVALID', reason: 'unsupported_crit' },
      (k) => k.sign(k.header({ crit: ['urn:attacker:ext'], 'urn:attacker:ext': true }), k.claims()),
    ],
    [
      'duplicate claim',
      { code: 'WRIT_TOKEN_INVALID', reason: 'duplicate_claim' },
      // the verified value first, a second "sub" last: JSON.parse would keep the attacker's
      (k) => k.sign(k.header(), JSON.stringify(k.claims()).replace(/}$/, ',"sub":"mallory"}')),
    ],
    // jose's own refusal ("JWT Claims Set must be a top-level JSON object"), reason `invalid`
    [
      'non-JSON payload',
      { code: 'WRIT_TOKEN_INVALID', reason: 'invalid' },
      (k) => k.sign(k.header(), 'sub=mallory; admin'),
    ],
    [
      'payload is a JSON array',
      { code: 'WRIT_TOKEN_INVALID', reason: 'invalid' },
      (k) => k.sign(k.header(), '["mallory"]'),
    ],
    [
      'oversized token',
      { code: 'WRIT_TOKEN_INVALID', reason: 'oversized' },
      (k) => k.sign(k.header(), k.claims({ pad: 'x'.repeat(24_000) })),
    ],
    [
      'no exp',
      { code: 'WRIT_TOKEN_INVALID', reason: 'missing_claim' },
      (k) => k.sign(k.header(), k.claims({ exp: undefined })),
    ],
    [
      'expired',
      { code: 'WRIT_TOKEN_EXPIRED', reason: 'expired' },
      (k) => k.sign(k.header(), k.claims({ iat: ago(3600), exp: ago(1800) })),
    ],
    [
      'nbf in the future',
      { code: 'WRIT_TOKEN_NOT_YET_VALID', reason: 'nbf_in_future' },
      (k) => k.sign(k.header(), k.claims({ nbf: nowSec() + 3600 })),
    ],
    [
      'iat in the future',
      { code: 'WRIT_TOKEN_NOT_YET_VALID', reason: 'iat_in_future' },
      (k) => k.sign(k.header(), k.claims({ iat: nowSec() + 3600, exp: nowSec() + 7200 })),
    ],
    [
      'wrong aud',
      { code: 'WRIT_AUDIENCE_MISMATCH', reason: 'audience' },
      (k) => k.sign(k.header(), k.claims({ aud: 'https://somewhere-else.example' })),
    ],
    [
      'wrong iss',
      { code: 'WRIT_ISSUER_MISMATCH', reason: 'issuer' },
      (k) => k.sign(k.header(), k.claims({ iss: 'https://attacker.example' })),
    ],
    [
      'unknown kid',
      { code: 'WRIT_TOKEN_INVALID', reason: 'unknown_kid' },
      (k) => k.signAsAttacker(k.header({ kid: 'attacker-kid' }), k.claims()),
    ],
    [
      'attacker key under the trusted kid',
      { code: 'WRIT_TOKEN_INVALID', reason: 'bad_signature' },
      (k) => k.signAsAttacker(k.header(), k.claims()),
    ],
    [
      'payload swapped after signing (lifetime extended)',
      { code: 'WRIT_TOKEN_INVALID', reason: 'bad_signature' },
      (k) => {
        const [h, , s] = k.sign(k.header(), k.claims()).split('.');
        return `${h}.${b64(JSON.stringify(k.claims({ exp: nowSec() + 365 * 86_400 })))}.${s}`;
      },
    ],
    [
      'signature stripped',
      { code: 'WRIT_TOKEN_INVALID', reason: 'bad_signature' },
      (k) => `${k.sign(k.header(), k.claims()).split('.').slice(0, 2).join('.')}.`,
    ],
    [
      'two segments',
      { code: 'WRIT_TOKEN_INVALID', reason: 'malformed' },
      (k) => k.sign(k.header(), k.claims()).split('.').slice(0, 2).join('.'),
    ],
    [
      'JWE-shaped (five segments)',
      { code: 'WRIT_TOKEN_INVALID', reason: 'encrypted' },
      () =>
        `${b64(JSON.stringify({ alg: 'dir', enc: 'A256GCM' }))}..${b64('iv')}.${b64('ciphertext')}.${b64('tag')}`,
    ],
    [
      'header is not JSON',
      { code: 'WRIT_TOKEN_INVALID', reason: 'malformed_header' },
      (k) => `${b64('{alg:EdDSA')}.${b64(JSON.stringify(k.claims()))}.${b64('sig')}`,
    ],
  ];
  const out: HostileCase<Ctx>[] = [];
  for (const [name, expected, build] of table) {
    const override = overrides[name];
    if (override === null) continue;
    const { code, reason } = override ?? expected;
    out.push({ name, code, reason, input: (ctx) => build(kitOf(ctx)) });
  }
  return out;
}

/**
 * Algorithm confusion against the local authority (EdDSA pinned), for every token it verifies: an HMAC
 * keyed with its published JWKS text, and an RSA signature from an attacker's key.
 */
export function localAuthorityCases<
  Ctx extends { readonly kit: TokenKit; readonly authority: LocalAuthority },
>(): HostileCase<Ctx>[] {
  return [
    {
      name: 'HS256 keyed with the published JWKS text',
      code: 'WRIT_TOKEN_INVALID',
      reason: 'alg_not_allowed',
      input: ({ kit, authority }) =>
        forge(kit.header({ alg: 'HS256' }), kit.claims(), {
          alg: 'HS256',
          secret: Buffer.from(JSON.stringify(authority.jwks())),
        }),
    },
    {
      name: 'RS256 from an attacker key (EdDSA is pinned)',
      code: 'WRIT_TOKEN_INVALID',
      reason: 'alg_not_allowed',
      input: ({ kit }) =>
        forge(kit.header({ alg: 'RS256' }), kit.claims(), { alg: 'RS256', key: attackerRsa() }),
    },
  ];
}

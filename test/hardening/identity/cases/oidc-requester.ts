// Hostile OIDC requester tokens for `createOidcRequesterVerifier` against a real OpenID Provider
// (oidc-provider 9 on loopback). The OP signs with keys this suite generated, so forged tokens carry a
// signature that verifies against the OP's published JWKS and reach the claim and header checks; the
// genuine tokens come out of the OP's own authorization code and client credentials flows.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { CreateOidcRequesterVerifierOptions } from '@writ/identity';
import type { JWK } from 'jose';
import { attackerRsa, b64, forge } from '../../../../packages/identity/src/__support__/forge.js';
import { CLIENTS, type TestOp } from '../../../../packages/identity/src/oidc/__support__/op.js';
import { type HostileCase, nowSec } from '../support.js';
import { commonCases, defined, type TokenKit } from './common.js';

/** Genuine tokens the OP issued over its own flows. */
export interface GenuineOidcTokens {
  /** ES256 ID token for `webapp` (the audience Writ is configured with). */
  readonly idToken: string;
  /** HS256 ID token for `webapp-hs256`, signed by the OP with that client's secret. */
  readonly hs256IdToken: string;
  /** ES256 ID token for another client of the same OP. */
  readonly otherClientIdToken: string;
  /** ID token for `webapp` from a second OP: other issuer, other keys under the same kids. */
  readonly otherOpIdToken: string;
  /** RFC 9068 JWT access token for the payments API (client credentials + resource indicator). */
  readonly accessToken: string;
}

export interface OidcCtx {
  readonly op: TestOp;
  readonly kit: TokenKit;
  readonly genuine: GenuineOidcTokens;
}

/** An OIDC case may configure the verifier differently (pinned algorithms, clock, maximum age). */
export type OidcCase = HostileCase<OidcCtx> & {
  readonly verifier?: Partial<CreateOidcRequesterVerifierOptions> | undefined;
};

/** The second browser client registered at the OP (for genuine tokens with another audience). */
export const OTHER_CLIENT = { id: 'other-app', secret: 'other-app-secret-0123456789abcdef01234567' };

/** The forging kit over the OP's own RS256 signing key (`rs-1`). */
export function oidcKit(op: TestOp, keys: readonly JWK[]): TokenKit {
  const rs = keys.find((k) => k.kid === 'rs-1') as JWK;
  const key = createPrivateKey({ key: rs as never, format: 'jwk' });
  const attacker = attackerRsa();
  return {
    header: (over = {}) => defined({ alg: 'RS256', typ: 'JWT', kid: 'rs-1', ...over }),
    claims: (over = {}) =>
      defined({
        iss: op.issuer,
        sub: 'alice',
        aud: CLIENTS.webapp.id,
        iat: nowSec(),
        exp: nowSec() + 300,
        name: 'Alice Example',
        ...over,
      }),
    sign: (header, payload) => forge(header, payload, { alg: 'RS256', key }),
    signAsAttacker: (header, payload) => forge(header, payload, { alg: 'RS256', key: attacker }),
    // the classic confusion: HMAC keyed with the RSA public key as PEM text
    publicKeyBytes: Buffer.from(createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string),
  };
}

/** `header.payload` signed with an EC or Ed25519 key the way JWS wants it (IEEE P1363 for ECDSA). */
function signWith(alg: 'ES384' | 'EdDSA', header: Record<string, unknown>, payload: Record<string, unknown>) {
  const input = `${b64(JSON.stringify({ ...header, alg }))}.${b64(JSON.stringify(payload))}`;
  let key: KeyObject;
  let signature: Buffer;
  if (alg === 'ES384') {
    key = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    signature = sign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  } else {
    key = generateKeyPairSync('ed25519').privateKey;
    signature = sign(null, Buffer.from(input), key);
  }
  return `${input}.${signature.toString('base64url')}`;
}

const specific: OidcCase[] = [
  {
    name: 'genuine HS256 ID token (signed by the OP with a client secret)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ genuine }) => genuine.hs256IdToken,
  },
  {
    name: 'genuine ES256 ID token when only RS256 is pinned',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ genuine }) => genuine.idToken,
    verifier: { algorithms: ['RS256'] },
  },
  {
    name: 'ES384 token (not a pinned algorithm)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ kit }) => signWith('ES384', kit.header({ kid: 'es-1' }), kit.claims()),
  },
  {
    name: 'EdDSA token (not a pinned algorithm)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ kit }) => signWith('EdDSA', kit.header({ kid: 'es-1' }), kit.claims()),
  },
  {
    name: 'genuine ID token issued to another client of the same OP',
    code: 'WRIT_AUDIENCE_MISMATCH',
    reason: 'audience',
    input: ({ genuine }) => genuine.otherClientIdToken,
  },
  {
    name: 'genuine JWT access token for another API presented as the requester',
    code: 'WRIT_AUDIENCE_MISMATCH',
    reason: 'audience',
    input: ({ genuine }) => genuine.accessToken,
  },
  {
    name: 'genuine ID token of a second OP whose keys reuse the same kids',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'bad_signature',
    input: ({ genuine }) => genuine.otherOpIdToken,
  },
  {
    name: 'genuine ID token replayed after it expired (verifier clock past exp)',
    code: 'WRIT_TOKEN_EXPIRED',
    reason: 'expired',
    input: ({ genuine }) => genuine.idToken,
    verifier: { clock: () => Date.now() + 2 * 3600 * 1000 },
  },
  {
    name: 'genuine ID token older than maxTokenAgeSec',
    code: 'WRIT_TOKEN_EXPIRED',
    reason: 'too_old',
    input: ({ genuine }) => genuine.idToken,
    verifier: { maxTokenAgeSec: 60, clock: () => Date.now() + 300_000 },
  },
  {
    name: 'issuer with a trailing slash (not the exact issuer)',
    code: 'WRIT_ISSUER_MISMATCH',
    reason: 'issuer',
    input: ({ kit, op }) => kit.sign(kit.header(), kit.claims({ iss: `${op.issuer}/` })),
  },
  {
    name: 'no sub',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ sub: undefined })),
  },
  {
    name: 'no iss',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ iss: undefined })),
  },
  {
    name: 'no aud',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ aud: undefined })),
  },
  {
    name: 'exp is a string',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_exp',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ exp: '9999999999' })),
  },
  {
    name: 'duplicate aud (the trusted client first, the attacker app last)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'duplicate_claim',
    input: ({ kit }) =>
      kit.sign(kit.header(), JSON.stringify(kit.claims()).replace(/}$/, ',"aud":"attacker-app"}')),
  },
  {
    name: 'a back-channel logout token (typ logout+jwt) presented as the requester',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'typ',
    // byte for byte what oidc-provider sends to a client's backchannel_logout_uri, signed with the OP key
    input: ({ kit }) =>
      kit.sign(
        kit.header({ typ: 'logout+jwt' }),
        kit.claims({
          name: undefined,
          jti: 'logout-1',
          sid: 'session-1',
          events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        }),
      ),
  },
  {
    name: 'a transaction token (typ txntoken+jwt) of the same issuer presented as the requester',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'typ',
    input: ({ kit }) =>
      kit.sign(
        kit.header({ typ: 'txntoken+jwt' }),
        kit.claims({ name: undefined, txn: 'some-task', scope: 'orders:*', jti: 'txn-1' }),
      ),
  },
];

/** Every hostile OIDC requester token. */
export const OIDC_REQUESTER_CASES: readonly OidcCase[] = [
  ...commonCases<OidcCtx>((ctx) => ctx.kit),
  ...specific,
];

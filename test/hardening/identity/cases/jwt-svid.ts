// Hostile JWT-SVIDs for `createSpiffeIdentity`: what a compromised or misconfigured Workload API (or a
// tampered sidecar) hands the agent. The trusted key is the example.org trust domain's signing key, so
// forged SVIDs reach the claim, header and SPIFFE ID checks with a signature that verifies.
import type { SpiffeIdentityOptions } from '@writ/identity';
import {
  signEdDsa,
  signHs256,
  type TestAuthority,
} from '../../../../packages/identity/src/spiffe/__support__/svid-fixtures.js';
import { type HostileCase, nowSec } from '../support.js';
import { commonCases, defined, type TokenKit } from './common.js';

export const TRUST_DOMAIN = 'example.org';
export const AGENT = 'support';
export const AGENT_ID = `spiffe://${TRUST_DOMAIN}/agent/${AGENT}`;

export interface SvidCtx {
  /** example.org's signing authority (its key is in the bundle the agent trusts). */
  readonly trusted: TestAuthority;
  /** Another authority claiming example.org with the same kid (its key is trusted nowhere). */
  readonly attacker: TestAuthority;
  /** partner.org's authority (its bundle is trusted only where a case says so). */
  readonly partner: TestAuthority;
  readonly kit: TokenKit;
}

/** A JWT-SVID case: the token, and what the Workload API says it is (and how the agent is configured). */
export type SvidCase = HostileCase<SvidCtx> & {
  /** The `spiffe_id` the Workload API reports beside the token. @default AGENT_ID */
  readonly spiffeId?: string | undefined;
  /** More `createSpiffeIdentity` options (e.g. `trustDomains`). */
  readonly spiffe?: Partial<SpiffeIdentityOptions> | undefined;
  /** Also trust partner.org's bundle. */
  readonly trustPartner?: boolean | undefined;
};

/** The forging kit of JWT-SVIDs over the trusted authority's ES256 key. */
export function svidKit(trusted: TestAuthority, attacker: TestAuthority): TokenKit {
  const text = (v: Record<string, unknown> | string) => (typeof v === 'string' ? v : JSON.stringify(v));
  return {
    header: (over = {}) => defined({ alg: trusted.alg, kid: trusted.kid, typ: 'JWT', ...over }),
    claims: (over = {}) =>
      defined({ sub: AGENT_ID, aud: ['writ'], iat: nowSec(), exp: nowSec() + 300, ...over }),
    sign: (header, payload) => trusted.signRaw(text(header), text(payload)),
    signAsAttacker: (header, payload) => attacker.signRaw(text(header), text(payload)),
    publicKeyBytes: Buffer.from(trusted.publicKey.export({ type: 'spki', format: 'pem' }) as string),
  };
}

const withSub = (sub: unknown) => (ctx: SvidCtx) => ctx.kit.sign(ctx.kit.header(), ctx.kit.claims({ sub }));

const specific: SvidCase[] = [
  {
    name: 'EdDSA SVID (a valid JWS, but not a JWT-SVID algorithm)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ kit }) => signEdDsa(kit.header({ alg: 'EdDSA' }), kit.claims()),
  },
  {
    name: 'HS256 keyed with the bundle JWK text',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ kit, trusted }) =>
      signHs256(kit.header({ alg: 'HS256' }), kit.claims(), Buffer.from(JSON.stringify(trusted.jwk))),
  },
  {
    name: 'no kid',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_kid',
    input: ({ kit }) => kit.sign(kit.header({ kid: undefined }), kit.claims()),
  },
  {
    name: 'a header the JWT-SVID spec does not allow',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'header_not_allowed',
    input: ({ kit }) => kit.sign(kit.header({ cty: 'JWT' }), kit.claims()),
  },
  {
    name: 'wrong typ (a task token type)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'typ_not_allowed',
    input: ({ kit }) => kit.sign(kit.header({ typ: 'txntoken+jwt' }), kit.claims()),
  },
  {
    name: 'no aud',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ aud: undefined })),
  },
  {
    name: 'aud is an empty array',
    code: 'WRIT_AUDIENCE_MISMATCH',
    reason: 'audience',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ aud: [] })),
  },
  {
    name: 'no sub',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ sub: undefined })),
  },
  {
    name: 'sub is not a SPIFFE ID',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'wrong_scheme',
    input: withSub('support'),
  },
  {
    name: 'sub with another scheme (https://)',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'wrong_scheme',
    input: withSub('https://example.org/agent/support'),
  },
  {
    name: 'sub with an uppercase trust domain',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'trust_domain_uppercase',
    input: withSub('spiffe://Example.org/agent/support'),
  },
  {
    name: 'sub with a dot-dot segment',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'dot_segment',
    input: withSub('spiffe://example.org/agent/../admin'),
  },
  {
    name: 'sub with an empty segment',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'empty_segment',
    input: withSub('spiffe://example.org/agent//support'),
  },
  {
    name: 'sub with a trailing slash',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'trailing_slash',
    input: withSub('spiffe://example.org/agent/support/'),
  },
  {
    name: 'sub with a query',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'query',
    input: withSub('spiffe://example.org/agent/support?admin=1'),
  },
  {
    name: 'sub with a fragment',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'fragment',
    input: withSub('spiffe://example.org/agent/support#admin'),
  },
  {
    name: 'sub with percent-encoding',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'percent_encoded',
    input: withSub('spiffe://example.org/agent/%2e%2e/admin'),
  },
  {
    name: 'sub with userinfo',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'userinfo',
    input: withSub('spiffe://admin@example.org/agent/support'),
  },
  {
    name: 'sub with a port',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'port',
    input: withSub('spiffe://example.org:8443/agent/support'),
  },
  {
    name: 'sub with a character outside the path alphabet',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'path_invalid_char',
    input: withSub('spiffe://example.org/agent/supp*rt'),
  },
  {
    name: 'oversized SPIFFE ID (over 2048 bytes)',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'too_long',
    input: withSub(`spiffe://example.org/agent/${'a'.repeat(2100)}`),
  },
  {
    name: 'oversized trust domain (over 255 characters)',
    code: 'WRIT_SPIFFE_ID_INVALID',
    reason: 'trust_domain_too_long',
    input: withSub(`spiffe://${'a'.repeat(300)}.org/agent/support`),
  },
  { name: 'sub is a number', code: 'WRIT_SPIFFE_ID_INVALID', reason: 'not_a_string', input: withSub(42) },
  {
    name: 'wrong trust domain: evil.org SVID, no bundle for evil.org',
    code: 'WRIT_ISSUER_MISMATCH',
    reason: 'no_bundle',
    spiffeId: 'spiffe://evil.org/agent/support',
    input: ({ attacker }) =>
      attacker.signRaw(
        JSON.stringify({ alg: 'ES256', kid: attacker.kid, typ: 'JWT' }),
        JSON.stringify({
          sub: 'spiffe://evil.org/agent/support',
          aud: ['writ'],
          iat: nowSec(),
          exp: nowSec() + 300,
        }),
      ),
  },
  {
    name: 'wrong trust domain: partner.org SVID, its bundle known but trustDomains is [example.org]',
    code: 'WRIT_ISSUER_MISMATCH',
    reason: 'trust_domain_not_accepted',
    spiffeId: 'spiffe://partner.org/agent/support',
    spiffe: { trustDomains: [TRUST_DOMAIN] },
    trustPartner: true,
    input: ({ partner }) => partner.mint({ sub: 'spiffe://partner.org/agent/support' }),
  },
  {
    name: "cross-domain signing: partner.org's key signs an example.org SVID",
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    trustPartner: true,
    input: ({ partner }) => partner.mint({ sub: AGENT_ID }),
  },
  {
    name: 'SVID names another workload than the Workload API says',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'spiffe_id_mismatch',
    input: withSub(`spiffe://${TRUST_DOMAIN}/agent/admin`),
  },
  {
    name: 'Workload API reports a malformed SPIFFE ID beside the token',
    code: 'WRIT_IDENTITY_INVALID',
    reason: 'malformed_response',
    spiffeId: 'spiffe://example.org/agent/../support',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims()),
  },
];

/** Every hostile JWT-SVID. */
export const JWT_SVID_CASES: readonly SvidCase[] = [
  ...commonCases<SvidCtx>((ctx) => ctx.kit, {
    // a JWT-SVID has no issuer check (its trust domain is in "sub"): the trust-domain cases replace it
    'wrong iss': null,
    'non-JSON payload': { code: 'WRIT_TOKEN_INVALID', reason: 'malformed_payload' },
    'payload is a JSON array': { code: 'WRIT_TOKEN_INVALID', reason: 'malformed_payload' },
  }),
  ...specific,
];

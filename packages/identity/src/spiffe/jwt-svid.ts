import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_BYTES, tokenError, verifyJwt } from '../jwt.js';
import { type JwtBundle, type JwtBundleSource, jwtBundleSourceSchema } from './jwt-bundle.js';
import { parseSpiffeId, parseTrustDomain, type SpiffeId, trustDomainsSchema } from './spiffe-id.js';

/**
 * The only `alg` values a JWT-SVID may use (JWT-SVID spec §2.1): RSA, ECDSA and RSA-PSS.
 *
 * @example
 * ```ts
 * const allowed = JWT_SVID_ALGORITHMS.includes(header.alg as (typeof JWT_SVID_ALGORITHMS)[number]);
 * ```
 */
export const JWT_SVID_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
] as const);

/** The JOSE header parameters a JWT-SVID may carry (JWT-SVID spec §2: any other MUST NOT be included). */
const ALLOWED_HEADERS = new Set(['alg', 'kid', 'typ']);

const WHAT = 'JWT-SVID';

/**
 * Default option values of {@link validateJwtSvid}.
 *
 * @example
 * ```ts
 * await validateJwtSvid(token, { audience, bundles, clockToleranceSec: JWT_SVID_DEFAULTS.clockToleranceSec * 2 });
 * ```
 */
export const JWT_SVID_DEFAULTS = Object.freeze({
  /** @default 5 */
  clockToleranceSec: 5,
  /** @default DEFAULT_MAX_TOKEN_BYTES (16 KiB) */
  maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
});

/**
 * Options of {@link validateJwtSvid}.
 *
 * @example
 * ```ts
 * const options: ValidateJwtSvidOptions = { audience: 'writ', bundles: watch.bundles, trustDomains: ['example.org'] };
 * ```
 */
export interface ValidateJwtSvidOptions {
  /** The audience(s) this validator identifies with: the token's `aud` must contain one of them. */
  audience: string | readonly string[];
  /** Where trust domain bundles come from (a {@link JwtBundleSet}, a Workload API watch, a file source). */
  bundles: JwtBundleSource;
  /** Trust domains whose SVIDs are accepted (names or `spiffe://` IDs). @default every trust domain with a bundle */
  trustDomains?: readonly string[] | undefined;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. @default JWT_SVID_DEFAULTS.clockToleranceSec */
  clockToleranceSec?: number | undefined;
  /** Verification time. @default now */
  currentDate?: Date | undefined;
  /** Largest token accepted, in bytes. @default JWT_SVID_DEFAULTS.maxTokenBytes */
  maxTokenBytes?: number | undefined;
}

/**
 * A validated JWT-SVID.
 *
 * @example
 * ```ts
 * const { spiffeId, expiresAt, claims }: JwtSvid = await validateJwtSvid(token, { audience: 'writ', bundles });
 * ```
 */
export interface JwtSvid {
  /** The SPIFFE ID in `sub`. */
  readonly spiffeId: SpiffeId;
  /** Every claim of the token (verified). */
  readonly claims: Readonly<JWTPayload>;
  /** When the token expires (`exp`). */
  readonly expiresAt: Date;
  /** The token's `aud`, always as an array. */
  readonly audience: readonly string[];
}

const optionsSchema = z.strictObject({
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  bundles: jwtBundleSourceSchema,
  trustDomains: trustDomainsSchema.optional(),
  clockToleranceSec: z.number().min(0).max(3600).optional(),
  currentDate: z.date().optional(),
  maxTokenBytes: z.number().int().positive().optional(),
});

const keySets = new WeakMap<JwtBundle, JWTVerifyGetKey>();

function keySetOf(bundle: JwtBundle): JWTVerifyGetKey {
  let keySet = keySets.get(bundle);
  if (keySet === undefined) {
    keySet = createLocalJWKSet(bundle.jwks as JSONWebKeySet);
    keySets.set(bundle, keySet);
  }
  return keySet;
}

function readPayload(payload: unknown): Record<string, unknown> {
  let value: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      typeof payload === 'string' ? Buffer.from(payload, 'base64url') : (payload as Uint8Array),
    );
    value = JSON.parse(text);
  } catch (error) {
    throw tokenError(
      'WRIT_TOKEN_INVALID',
      WHAT,
      'malformed_payload',
      'payload is not a JSON object',
      {},
      error,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'malformed_payload', 'payload is not a JSON object');
  }
  return value as Record<string, unknown>;
}

function subjectOf(claims: Record<string, unknown>): SpiffeId {
  if (claims.sub === undefined) {
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'missing_claim', 'required claim "sub" is missing', {
      claim: 'sub',
    });
  }
  try {
    return parseSpiffeId(claims.sub);
  } catch (error) {
    const reason = WritError.isInstance(error) ? String(error.details.reason) : 'invalid';
    throw tokenError(
      'WRIT_SPIFFE_ID_INVALID',
      WHAT,
      reason,
      '"sub" is not a valid SPIFFE ID',
      { claim: 'sub' },
      error,
    );
  }
}

/**
 * Validates a JWT-SVID the way the JWT-SVID specification asks, strictly: `alg` pinned to
 * RS/ES/PS 256/384/512 (never `none`, HMAC or EdDSA), `kid` required, `typ` absent or `JWT`/`JOSE`, no other
 * header (so no `jwk`, `jku`, `x5u`, `x5c` or `crit`), `aud` and `exp` required, `sub` a valid SPIFFE ID,
 * and the signature checked only against the bundle of `sub`'s trust domain (no bundle there:
 * `WRIT_ISSUER_MISMATCH`). Every refusal is a `WritError` with a specific code and `details.reason`.
 *
 * @example
 * ```ts
 * const svid = await validateJwtSvid(token, { audience: 'spiffe://example.org/payments', bundles });
 * svid.spiffeId.toString(); // 'spiffe://example.org/agent/support'
 * ```
 */
export async function validateJwtSvid(token: string, options: ValidateJwtSvidOptions): Promise<JwtSvid> {
  const parsed = validateOptions(optionsSchema, options, 'validateJwtSvid');
  const accepted = parsed.trustDomains?.map((td) => parseTrustDomain(td));
  const bundles = parsed.bundles;
  let subject: SpiffeId | undefined;

  const resolveKey: JWTVerifyGetKey = async (header, jws) => {
    for (const name of Object.keys(header)) {
      if (!ALLOWED_HEADERS.has(name)) {
        throw tokenError(
          'WRIT_TOKEN_INVALID',
          WHAT,
          'header_not_allowed',
          `header "${name}" is not allowed`,
          {
            header: name,
          },
        );
      }
    }
    if (typeof header.kid !== 'string' || header.kid.length === 0) {
      throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'missing_kid', 'header "kid" is required');
    }
    if (header.typ !== undefined && header.typ !== 'JWT' && header.typ !== 'JOSE') {
      throw tokenError(
        'WRIT_TOKEN_INVALID',
        WHAT,
        'typ_not_allowed',
        `header "typ" must be "JWT" or "JOSE"`,
        {
          typ: String(header.typ),
        },
      );
    }
    const spiffeId = subjectOf(readPayload(jws.payload));
    if (accepted !== undefined && !accepted.includes(spiffeId.trustDomain)) {
      throw tokenError(
        'WRIT_ISSUER_MISMATCH',
        WHAT,
        'trust_domain_not_accepted',
        `trust domain ${spiffeId.trustDomain} is not accepted`,
        { trustDomain: spiffeId.trustDomain },
      );
    }
    const bundle = bundles.get(spiffeId.trustDomain);
    if (bundle === undefined) {
      throw tokenError(
        'WRIT_ISSUER_MISMATCH',
        WHAT,
        'no_bundle',
        `no JWT bundle for trust domain ${spiffeId.trustDomain}`,
        {
          trustDomain: spiffeId.trustDomain,
        },
      );
    }
    subject = spiffeId;
    return keySetOf(bundle)(header, jws);
  };

  const { payload } = await verifyJwt(token, resolveKey, {
    what: WHAT,
    algorithms: JWT_SVID_ALGORITHMS,
    audience: parsed.audience,
    requiredClaims: ['exp', 'aud', 'sub'],
    clockToleranceSec: parsed.clockToleranceSec ?? JWT_SVID_DEFAULTS.clockToleranceSec,
    currentDate: parsed.currentDate,
    maxTokenBytes: parsed.maxTokenBytes ?? JWT_SVID_DEFAULTS.maxTokenBytes,
  });
  if (subject === undefined || payload.sub !== subject.toString() || typeof payload.exp !== 'number') {
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'invalid', 'token could not be verified');
  }
  const aud = payload.aud;
  return Object.freeze({
    spiffeId: subject,
    claims: Object.freeze({ ...payload }),
    expiresAt: new Date(payload.exp * 1000),
    audience: Object.freeze(typeof aud === 'string' ? [aud] : [...(aud ?? [])]),
  });
}

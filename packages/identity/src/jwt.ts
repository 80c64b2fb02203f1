import { WritError, type WritErrorCode } from '@writ/core';
import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

/**
 * A key jose can verify with, or a key-set resolver (`createLocalJWKSet` / `createRemoteJWKSet`).
 *
 * @example
 * ```ts
 * import { createRemoteJWKSet } from 'jose';
 *
 * const jwks: VerificationKey = createRemoteJWKSet(new URL('https://support.example.com/.well-known/jwks.json'));
 * await verifyTaskToken(token, { issuer: 'spiffe://writ.local', audience: 'https://payments.example.com', jwks });
 * ```
 */
export type VerificationKey = Parameters<typeof jwtVerify>[1] | JWTVerifyGetKey;

/**
 * Largest token accepted by default (bytes). Bigger tokens are refused before any parsing.
 *
 * @example
 * ```ts
 * // task tokens carrying a long delegation chain
 * await verifyTaskToken(token, { issuer, audience, jwks, maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES * 2 });
 * ```
 */
export const DEFAULT_MAX_TOKEN_BYTES = 16 * 1024;

/** Headers that point at keys the token brings along; Writ never takes a key from the token. */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/**
 * Options of {@link verifyJwt}: what the token must be (algorithms, issuer, audience, claims, `typ`) and
 * how much slack to allow.
 *
 * @example
 * ```ts
 * const options: VerifyJwtOptions = {
 *   what: 'requester token',
 *   algorithms: ['RS256', 'ES256'],
 *   issuer: 'https://login.example.com',
 *   audience: 'support-app',
 *   requiredClaims: ['exp', 'iat', 'sub'],
 *   clockToleranceSec: 30,
 * };
 * const { payload } = await verifyJwt(token, key, options);
 * ```
 * @internal
 */
export interface VerifyJwtOptions {
  /** What the token is, for messages ("requester token", "JWT-SVID", "task token"). */
  what: string;
  /** Accepted `alg` values: pinned, never taken from the token. */
  algorithms: readonly string[];
  /** Required audience(s): the token's `aud` must contain one. */
  audience?: string | readonly string[] | undefined;
  /** Accepted issuer(s). */
  issuer?: string | readonly string[] | undefined;
  /** Claims that must be present. @default ['exp'] */
  requiredClaims?: readonly string[] | undefined;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. @default 5 */
  clockToleranceSec?: number | undefined;
  /** @default DEFAULT_MAX_TOKEN_BYTES */
  maxTokenBytes?: number | undefined;
  /** Required `typ` header, when the token type defines one. */
  typ?: string | undefined;
  /** Verification time. @default now */
  currentDate?: Date | undefined;
}

/**
 * A verified token: its claims and its protected header.
 *
 * @example
 * ```ts
 * const { payload, header }: VerifiedJwt = await verifyJwt(token, key, { what: 'requester token', algorithms: ['ES256'] });
 * console.log(`${payload.sub} (key ${String(header.kid)})`);
 * ```
 * @internal
 */
export interface VerifiedJwt {
  readonly payload: JWTPayload;
  readonly header: Readonly<Record<string, unknown>>;
}

/**
 * Creates the `WritError` for a refused token, with a machine-readable `details.reason`.
 *
 * @example
 * ```ts
 * throw tokenError('WRIT_TOKEN_INVALID', 'JWT-SVID', 'alg_not_allowed', 'algorithm HS256 is not allowed');
 * ```
 * @internal
 */
export function tokenError(
  code: WritErrorCode,
  what: string,
  reason: string,
  message: string,
  extra: Record<string, unknown> = {},
  cause?: unknown,
): WritError {
  return new WritError(code, `${what} refused: ${message}`, {
    details: { token: what, reason, ...extra },
    cause,
  });
}

/**
 * Verifies a compact JWS JWT strictly: size cap, three parts, pinned algorithms, no key-carrying headers
 * (`jwk`, `jku`, `x5u`, `x5c`), no `crit` extensions, no duplicate header or claim names, required
 * claims (`exp` by default), audience and issuer, `nbf` and `iat` not in the future. Every refusal is a
 * `WritError` with a specific code and `details.reason`.
 *
 * @example
 * ```ts
 * import { createRemoteJWKSet } from 'jose';
 *
 * const { payload } = await verifyJwt(token, createRemoteJWKSet(new URL(jwksUri)), {
 *   what: 'requester token', algorithms: ['RS256', 'ES256'], issuer, audience: clientId,
 * });
 * ```
 * @internal
 */
export async function verifyJwt(
  token: unknown,
  key: VerificationKey,
  options: VerifyJwtOptions,
): Promise<VerifiedJwt> {
  const { what } = options;
  const invalid = (reason: string, message: string, extra?: Record<string, unknown>, cause?: unknown) =>
    tokenError('WRIT_TOKEN_INVALID', what, reason, message, extra, cause);
  if (typeof token !== 'string' || token.length === 0) throw invalid('not_a_token', 'no token was presented');
  const max = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (token.length > max)
    throw invalid('oversized', `token is larger than ${max} bytes`, { size: token.length });
  const parts = token.split('.');
  if (parts.length === 5) throw invalid('encrypted', 'encrypted (JWE) tokens are not accepted');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw invalid('malformed', 'token is not a compact JWS');
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (error) {
    throw invalid('malformed_header', 'protected header is not valid JSON', {}, error);
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !options.algorithms.includes(alg)) {
    throw invalid('alg_not_allowed', `algorithm ${JSON.stringify(alg)} is not allowed`, { alg: String(alg) });
  }
  for (const name of FORBIDDEN_HEADERS) {
    if (name in header)
      throw invalid('forbidden_header', `header "${name}" is not accepted`, { header: name });
  }
  if ('crit' in header) throw invalid('unsupported_crit', 'critical header extensions are not supported');
  const headerText = decodeSegment(parts[0] as string);
  const payloadText = decodeSegment(parts[1] as string);
  if (payloadText === undefined) throw invalid('malformed_payload', 'payload is not valid UTF-8');
  const duplicate = duplicateKey(headerText ?? '') ?? duplicateKey(payloadText);
  if (duplicate !== undefined)
    throw invalid('duplicate_claim', `"${duplicate}" appears more than once`, { claim: duplicate });

  const tolerance = options.clockToleranceSec ?? 5;
  let verified: { payload: JWTPayload; protectedHeader: Record<string, unknown> };
  try {
    verified = await jwtVerify(token, key as JWTVerifyGetKey, {
      algorithms: [...options.algorithms],
      audience: options.audience as string | string[] | undefined,
      issuer: options.issuer as string | string[] | undefined,
      requiredClaims: [...(options.requiredClaims ?? ['exp'])],
      clockTolerance: tolerance,
      typ: options.typ,
      currentDate: options.currentDate,
    });
  } catch (error) {
    throw fromJoseError(error, what);
  }
  // a time a Date cannot hold (`exp: 1e308` is a number to jose) would read as a token that never
  // expires, and `exp * 1000` as Infinity wherever a verdict's expiry is used
  for (const claim of TIME_CLAIMS) {
    const t = verified.payload[claim];
    if (typeof t === 'number' && !(Math.abs(t) <= MAX_DATE_SEC)) {
      throw invalid(`claim_${claim}`, `${claim} is not a time a date can hold`, { claim });
    }
  }
  const now = Math.floor((options.currentDate?.getTime() ?? Date.now()) / 1000);
  const iat = verified.payload.iat;
  if (typeof iat === 'number' && iat > now + tolerance) {
    throw tokenError('WRIT_TOKEN_NOT_YET_VALID', what, 'iat_in_future', 'token was issued in the future');
  }
  return { payload: verified.payload, header: verified.protectedHeader };
}

/** The NumericDate claims (RFC 7519 §2), each bounded by what an ECMAScript Date holds (±8.64e15 ms). */
const TIME_CLAIMS = ['exp', 'iat', 'nbf'] as const;
const MAX_DATE_SEC = 8.64e12;

function decodeSegment(segment: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url'));
  } catch {
    return undefined;
  }
}

/**
 * The first member name that occurs twice in the top-level object of a JSON text (JSON.parse would
 * silently keep the last one, which lets two parsers disagree about a claim).
 *
 * @example
 * ```ts
 * duplicateKey('{"sub":"alice","sub":"mallory"}'); // 'sub'
 * duplicateKey('{"sub":"alice","act":{"sub":"bot"}}'); // undefined: nested objects are not compared
 * ```
 * @internal
 */
export function duplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        let name: string;
        try {
          name = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return undefined;
        }
        if (seen.has(name)) return name;
        seen.add(name);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (depth === 1 && c === '{') expectKey = true;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return undefined;
}

function fromJoseError(error: unknown, what: string): WritError {
  if (error instanceof errors.JWTExpired) {
    return tokenError('WRIT_TOKEN_EXPIRED', what, 'expired', 'token has expired', {}, error);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (error.reason === 'missing') {
      return tokenError(
        'WRIT_TOKEN_INVALID',
        what,
        'missing_claim',
        `required claim "${claim}" is missing`,
        { claim },
        error,
      );
    }
    if (claim === 'aud')
      return tokenError(
        'WRIT_AUDIENCE_MISMATCH',
        what,
        'audience',
        'token is not for this audience',
        {},
        error,
      );
    if (claim === 'iss')
      return tokenError(
        'WRIT_ISSUER_MISMATCH',
        what,
        'issuer',
        'token comes from an unexpected issuer',
        {},
        error,
      );
    if (claim === 'nbf')
      return tokenError(
        'WRIT_TOKEN_NOT_YET_VALID',
        what,
        'nbf_in_future',
        'token is not valid yet',
        {},
        error,
      );
    return tokenError(
      'WRIT_TOKEN_INVALID',
      what,
      `claim_${claim}`,
      `claim "${claim}" is invalid`,
      { claim },
      error,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return tokenError('WRIT_TOKEN_INVALID', what, 'bad_signature', 'signature does not verify', {}, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return tokenError('WRIT_TOKEN_INVALID', what, 'alg_not_allowed', 'algorithm is not allowed', {}, error);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return tokenError(
      'WRIT_TOKEN_INVALID',
      what,
      'unknown_kid',
      'no trusted key matches the token',
      {},
      error,
    );
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return tokenError(
      'WRIT_TOKEN_INVALID',
      what,
      'ambiguous_key',
      'several trusted keys match and none verifies',
      {},
      error,
    );
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new WritError('WRIT_IDENTITY_UNAVAILABLE', `could not load the keys to verify the ${what}`, {
      cause: error,
    });
  }
  if (error instanceof errors.JOSEError) {
    return tokenError('WRIT_TOKEN_INVALID', what, 'invalid', error.message, {}, error);
  }
  if (error instanceof WritError || WritError.isInstance(error)) return error as WritError;
  if (error instanceof TypeError && /fetch|network|ECONNREFUSED/i.test(error.message)) {
    return new WritError('WRIT_IDENTITY_UNAVAILABLE', `could not load the keys to verify the ${what}`, {
      cause: error,
    });
  }
  return tokenError('WRIT_TOKEN_INVALID', what, 'invalid', 'token could not be verified', {}, error);
}

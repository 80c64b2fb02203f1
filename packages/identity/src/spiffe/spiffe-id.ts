import { WritError } from '@writ/core';
import { z } from 'zod';

/** Longest SPIFFE ID accepted, in bytes (SPIFFE ID spec §2.3). */
const MAX_SPIFFE_ID_BYTES = 2048;

/** Longest trust domain name accepted, in characters (the URI host limit, SPIFFE ID spec §2.3). */
const MAX_TRUST_DOMAIN_LENGTH = 255;

const SCHEME_PREFIX = 'spiffe://';
const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const PATH_SEGMENT_CHARS = /^[a-zA-Z0-9._-]+$/;

/**
 * Why a value is not a SPIFFE ID (or trust domain). Found in `error.details.reason` of the
 * `WRIT_SPIFFE_ID_INVALID` error.
 *
 * @example
 * ```ts
 * import { WritError } from '@writ/core';
 *
 * try {
 *   parseSpiffeId('spiffe://example.org/agent/../admin');
 * } catch (error) {
 *   if (WritError.isInstance(error, 'WRIT_SPIFFE_ID_INVALID')) {
 *     const reason = error.details.reason as SpiffeIdInvalidReason; // 'dot_segment'
 *   }
 * }
 * ```
 */
export type SpiffeIdInvalidReason =
  | 'not_a_string'
  | 'empty'
  | 'too_long'
  | 'wrong_scheme'
  | 'query'
  | 'fragment'
  | 'percent_encoded'
  | 'missing_trust_domain'
  | 'userinfo'
  | 'port'
  | 'trust_domain_too_long'
  | 'trust_domain_uppercase'
  | 'trust_domain_invalid_char'
  | 'trailing_slash'
  | 'empty_segment'
  | 'dot_segment'
  | 'path_invalid_char'
  | 'not_a_trust_domain';

/**
 * A parsed, valid SPIFFE ID: `spiffe://<trustDomain><path>`. `toString()` (and `JSON.stringify`) give back
 * the exact ID that was parsed.
 *
 * @example
 * ```ts
 * const id: SpiffeId = parseSpiffeId('spiffe://example.org/agent/support');
 * console.log(id.trustDomain, id.path, `${id}`);
 * ```
 */
export interface SpiffeId {
  /** Trust domain name, e.g. `example.org` (no scheme). */
  readonly trustDomain: string;
  /** Path including its leading `/` (e.g. `/agent/support`), or `''` for a trust domain's own ID. */
  readonly path: string;
  /** The ID as a string: `spiffe://example.org/agent/support`. */
  toString(): string;
  /** Same as `toString()`, so the ID serialises as a plain string. */
  toJSON(): string;
}

function invalid(reason: SpiffeIdInvalidReason, message: string, value: unknown): WritError {
  const shown =
    typeof value === 'string' ? (value.length > 80 ? `${value.slice(0, 80)}…` : value) : typeof value;
  return new WritError('WRIT_SPIFFE_ID_INVALID', `invalid SPIFFE ID ${JSON.stringify(shown)}: ${message}`, {
    details: { reason },
  });
}

function checkTrustDomain(name: string, value: unknown): void {
  if (name.length === 0) throw invalid('missing_trust_domain', 'the trust domain is empty', value);
  if (name.includes('@')) throw invalid('userinfo', 'userinfo is not allowed', value);
  if (name.includes(':')) throw invalid('port', 'a port is not allowed', value);
  if (name.length > MAX_TRUST_DOMAIN_LENGTH) {
    throw invalid(
      'trust_domain_too_long',
      `the trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} characters`,
      value,
    );
  }
  if (/[A-Z]/.test(name))
    throw invalid('trust_domain_uppercase', 'the trust domain must be lowercase', value);
  if (!TRUST_DOMAIN_CHARS.test(name)) {
    throw invalid('trust_domain_invalid_char', 'the trust domain may only contain [a-z0-9._-]', value);
  }
}

function checkPath(path: string, value: unknown): void {
  if (path.length === 0) return;
  if (path.endsWith('/')) throw invalid('trailing_slash', 'the path must not end with "/"', value);
  for (const segment of path.slice(1).split('/')) {
    if (segment.length === 0) throw invalid('empty_segment', 'the path has an empty segment', value);
    if (segment === '.' || segment === '..') {
      throw invalid('dot_segment', 'the path must not contain "." or ".." segments', value);
    }
    if (!PATH_SEGMENT_CHARS.test(segment)) {
      throw invalid('path_invalid_char', 'path segments may only contain [a-zA-Z0-9._-]', value);
    }
  }
}

function makeSpiffeId(trustDomain: string, path: string): SpiffeId {
  const text = `${SCHEME_PREFIX}${trustDomain}${path}`;
  return Object.freeze({
    trustDomain,
    path,
    toString: () => text,
    toJSON: () => text,
  });
}

/**
 * Parses a SPIFFE ID strictly, following the SPIFFE ID specification: scheme exactly `spiffe` (lowercase),
 * a non-empty lowercase trust domain of `[a-z0-9._-]` (at most 255 characters), no userinfo, port, query or
 * fragment, path segments of `[a-zA-Z0-9._-]` with no empty, `.` or `..` segment and no trailing `/`, no
 * percent-encoding, at most 2048 bytes in all. Throws `WRIT_SPIFFE_ID_INVALID` with `details.reason`
 * (a {@link SpiffeIdInvalidReason}).
 *
 * @example
 * ```ts
 * const id = parseSpiffeId('spiffe://example.org/agent/support');
 * id.trustDomain; // 'example.org'
 * id.path;        // '/agent/support'
 * String(id);     // 'spiffe://example.org/agent/support'
 * ```
 */
export function parseSpiffeId(value: unknown): SpiffeId {
  if (typeof value !== 'string') throw invalid('not_a_string', 'a SPIFFE ID must be a string', value);
  if (value.length === 0) throw invalid('empty', 'the value is empty', value);
  if (Buffer.byteLength(value, 'utf8') > MAX_SPIFFE_ID_BYTES) {
    throw invalid('too_long', `a SPIFFE ID is at most ${MAX_SPIFFE_ID_BYTES} bytes`, value);
  }
  if (!value.startsWith(SCHEME_PREFIX)) {
    throw invalid('wrong_scheme', 'the scheme must be exactly "spiffe://" (lowercase)', value);
  }
  if (value.includes('?')) throw invalid('query', 'a query is not allowed', value);
  if (value.includes('#')) throw invalid('fragment', 'a fragment is not allowed', value);
  if (value.includes('%')) throw invalid('percent_encoded', 'percent-encoding is not allowed', value);
  const rest = value.slice(SCHEME_PREFIX.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  checkTrustDomain(trustDomain, value);
  checkPath(path, value);
  return makeSpiffeId(trustDomain, path);
}

/**
 * True when `value` is a valid SPIFFE ID (see {@link parseSpiffeId}). Never throws.
 *
 * @example
 * ```ts
 * isSpiffeId('spiffe://example.org/agent/support'); // true
 * isSpiffeId('spiffe://Example.org/agent');         // false: the trust domain must be lowercase
 * ```
 */
export function isSpiffeId(value: unknown): value is string {
  try {
    parseSpiffeId(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The trust domain name of a SPIFFE ID (string or parsed). Throws `WRIT_SPIFFE_ID_INVALID` for an invalid ID.
 *
 * @example
 * ```ts
 * trustDomainOf('spiffe://example.org/agent/support'); // 'example.org'
 * ```
 */
export function trustDomainOf(id: string | SpiffeId): string {
  return typeof id === 'string' ? parseSpiffeId(id).trustDomain : parseSpiffeId(id.toString()).trustDomain;
}

/**
 * Parses a trust domain given either as a bare name (`example.org`) or as the trust domain's SPIFFE ID
 * (`spiffe://example.org`, the form the Workload API uses as bundle map keys) and returns the bare name.
 * Throws `WRIT_SPIFFE_ID_INVALID` otherwise (a SPIFFE ID with a path is refused with reason
 * `not_a_trust_domain`).
 *
 * @example
 * ```ts
 * parseTrustDomain('spiffe://example.org'); // 'example.org'
 * parseTrustDomain('example.org');          // 'example.org'
 * ```
 */
export function parseTrustDomain(value: unknown): string {
  if (typeof value === 'string' && value.startsWith(SCHEME_PREFIX)) {
    const id = parseSpiffeId(value);
    if (id.path !== '')
      throw invalid('not_a_trust_domain', 'expected a trust domain, got a workload ID', value);
    return id.trustDomain;
  }
  if (typeof value !== 'string') throw invalid('not_a_string', 'a trust domain must be a string', value);
  if (value.length === 0) throw invalid('empty', 'the value is empty', value);
  if (value.includes('://'))
    throw invalid('wrong_scheme', 'the scheme must be exactly "spiffe://" (lowercase)', value);
  if (value.includes('/')) throw invalid('not_a_trust_domain', 'a trust domain name has no path', value);
  checkTrustDomain(value, value);
  return value;
}

/**
 * zod schema of a non-empty list of trust domains (`example.org` or `spiffe://example.org`), for options.
 *
 * @example
 * ```ts
 * z.strictObject({ trustDomains: trustDomainsSchema.optional() });
 * ```
 */
export const trustDomainsSchema = z
  .array(
    z.string().refine(
      (v) => {
        try {
          parseTrustDomain(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'invalid trust domain' },
    ),
  )
  .min(1);

import { WritError } from '@writ/core';
import type { JSONWebKeySet, JWK } from 'jose';
import { z } from 'zod';
import { parseTrustDomain } from './spiffe-id.js';

/** JWK members that only private or symmetric keys carry; a trust bundle never contains them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The JWK `use` value of JWT-SVID signing keys in a SPIFFE bundle (JWT-SVID spec §6.1). */
const JWT_SVID_KEY_USE = 'jwt-svid';

/**
 * One trust domain's JWT bundle: the keys that may sign JWT-SVIDs for it. Immutable.
 *
 * @example
 * ```ts
 * const bundle: JwtBundle = parseJwtBundle('example.org', jwks);
 * const kids = bundle.keys.map((k) => k.kid);
 * ```
 */
export interface JwtBundle {
  /** Trust domain name, e.g. `example.org`. */
  readonly trustDomain: string;
  /**
   * The JWT-SVID signing keys, each with a `kid`, with `use` removed (jose only accepts `use: "sig"`, and
   * these keys have already been selected by use).
   */
  readonly keys: readonly Readonly<JWK>[];
  /** The keys as a JWK Set, ready for jose's `createLocalJWKSet`. */
  readonly jwks: Readonly<JSONWebKeySet>;
  /** `spiffe_refresh_hint` (seconds) when the bundle carried one. */
  readonly refreshHintSec?: number | undefined;
  /** `spiffe_sequence` when the bundle carried one. */
  readonly sequence?: number | undefined;
}

/**
 * Anything that can hand out the JWT bundle of a trust domain (a {@link JwtBundleSet} does).
 *
 * @example
 * ```ts
 * const source: JwtBundleSource = { get: (td) => (td === 'example.org' ? bundle : undefined) };
 * ```
 */
export interface JwtBundleSource {
  /** The bundle of a trust domain (name or `spiffe://name`), or `undefined` when none is known. */
  get(trustDomain: string): JwtBundle | undefined;
}

/**
 * zod schema of an option that must be a {@link JwtBundleSource}.
 *
 * @example
 * ```ts
 * const optionsSchema = z.strictObject({ bundles: jwtBundleSourceSchema });
 * ```
 * @internal
 */
export const jwtBundleSourceSchema = z.custom<JwtBundleSource>(
  (v) => typeof v === 'object' && v !== null && typeof (v as JwtBundleSource).get === 'function',
  { message: 'must be a JwtBundleSource (an object with get(trustDomain))' },
);

/**
 * Trust domain → {@link JwtBundle}. Updates replace the whole set at once: a reader sees either the old
 * set or the new one, never a mix, and a trust domain missing from an update is gone.
 *
 * @example
 * ```ts
 * const set: JwtBundleSet = createJwtBundleSet();
 * set.replace(parseJwtBundles(bundleMap));
 * set.get('example.org');
 * ```
 */
export interface JwtBundleSet extends JwtBundleSource {
  /** True when a bundle for the trust domain (name or `spiffe://name`) is present. */
  has(trustDomain: string): boolean;
  /** Trust domain names currently present, sorted. */
  trustDomains(): string[];
  /** Number of trust domains present. */
  readonly size: number;
  /**
   * Replaces every bundle atomically with `bundles`. Throws `WRIT_IDENTITY_INVALID` (reason
   * `duplicate_trust_domain`) and keeps the current set when two bundles name the same trust domain.
   */
  replace(bundles: Iterable<JwtBundle>): void;
}

/**
 * Raw JWKS input: JSON text, base64 of JSON text, UTF-8 bytes of JSON text, or an already-parsed object.
 *
 * @example
 * ```ts
 * const input: JwksInput = '{"keys":[]}';
 * ```
 */
export type JwksInput = string | Uint8Array | Readonly<Record<string, unknown>>;

function bundleError(
  reason: string,
  message: string,
  trustDomain: string | undefined,
  cause?: unknown,
): WritError {
  return new WritError(
    'WRIT_IDENTITY_INVALID',
    `JWT bundle${trustDomain ? ` for ${trustDomain}` : ''} refused: ${message}`,
    {
      details: { reason, ...(trustDomain ? { trustDomain } : {}) },
      cause,
    },
  );
}

function duplicateTrustDomain(trustDomain: string): WritError {
  return bundleError('duplicate_trust_domain', 'the trust domain appears more than once', trustDomain);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns JSON text, base64 of JSON text, bytes or an object into a plain value; throws
 * `WRIT_IDENTITY_INVALID` (reason `not_json`) when the text is not JSON.
 *
 * @example
 * ```ts
 * decodeJsonInput(Buffer.from('{"keys":[]}'), 'the bundle'); // { keys: [] }
 * ```
 * @internal
 */
export function decodeJsonInput(input: unknown, what: string, trustDomain?: string): unknown {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    let text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
    text = text.trim();
    if (text.length > 0 && text[0] !== '{' && text[0] !== '[' && /^[A-Za-z0-9+/=_-]+$/.test(text)) {
      text = Buffer.from(text, 'base64').toString('utf8').trim();
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw bundleError('not_json', `${what} is not valid JSON`, trustDomain, error);
    }
  }
  return input;
}

/**
 * Parses a trust domain's JWT bundle (a JWK Set) the way the JWT-SVID spec (§6.2) asks: keeps only keys
 * whose `use` is `jwt-svid` (or absent), requires a unique `kid` on each, refuses private or symmetric key
 * material, and strips `use` so jose accepts the keys. A bundle with no JWT-SVID keys is valid and trusts
 * nothing. Accepts JSON text, base64-encoded JSON (spiffe-helper's bundle file values), bytes (the Workload
 * API's `bytes` bundles) or an object. Throws `WRIT_IDENTITY_INVALID` with `details.reason`, or
 * `WRIT_SPIFFE_ID_INVALID` for a bad trust domain.
 *
 * @example
 * ```ts
 * const bundle = parseJwtBundle('example.org', '{"keys":[{"use":"jwt-svid","kid":"k1","kty":"EC","crv":"P-256","x":"…","y":"…"}]}');
 * bundle.keys[0]?.kid; // 'k1' (and no `use`)
 * ```
 */
export function parseJwtBundle(trustDomain: string, jwks: JwksInput): JwtBundle {
  const name = parseTrustDomain(trustDomain);
  const value = decodeJsonInput(jwks, 'the bundle', name);
  if (!isRecord(value) || !Array.isArray(value.keys)) {
    throw bundleError('malformed', 'a JWT bundle must be a JWK Set ({ "keys": [...] })', name);
  }
  const keys: Readonly<JWK>[] = [];
  const kids = new Set<string>();
  for (const [index, raw] of value.keys.entries()) {
    if (!isRecord(raw)) throw bundleError('key_malformed', `key ${index} is not an object`, name);
    if (raw.use !== undefined && raw.use !== JWT_SVID_KEY_USE) continue;
    if (typeof raw.kty !== 'string' || raw.kty.length === 0) {
      throw bundleError('key_malformed', `key ${index} has no "kty"`, name);
    }
    if (typeof raw.kid !== 'string' || raw.kid.length === 0) {
      throw bundleError('key_missing_kid', `key ${index} has no "kid"`, name);
    }
    if (PRIVATE_MEMBERS.some((member) => member in raw)) {
      throw bundleError('private_key', `key "${raw.kid}" carries private or symmetric key material`, name);
    }
    if (kids.has(raw.kid))
      throw bundleError('duplicate_kid', `key id "${raw.kid}" appears more than once`, name);
    kids.add(raw.kid);
    const { use: _use, ...key } = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
    keys.push(Object.freeze(key as JWK));
  }
  const frozenKeys = Object.freeze(keys);
  const bundle: JwtBundle = {
    trustDomain: name,
    keys: frozenKeys,
    jwks: Object.freeze({ keys: frozenKeys as JWK[] }),
    refreshHintSec: typeof value.spiffe_refresh_hint === 'number' ? value.spiffe_refresh_hint : undefined,
    sequence: typeof value.spiffe_sequence === 'number' ? value.spiffe_sequence : undefined,
  };
  return Object.freeze(bundle);
}

/**
 * Parses several bundles keyed by trust domain (`example.org` or `spiffe://example.org`), the shape of the
 * Workload API's `JWTBundlesResponse.bundles` and of spiffe-helper's JWT bundle file. The input may be an
 * object or its JSON text. Throws like {@link parseJwtBundle}; two keys naming the same trust domain are
 * refused (reason `duplicate_trust_domain`).
 *
 * @example
 * ```ts
 * const bundles = parseJwtBundles({ 'spiffe://example.org': jwksBytes, 'partner.io': partnerJwks });
 * const set = createJwtBundleSet(bundles);
 * ```
 */
export function parseJwtBundles(input: JwksInput | Readonly<Record<string, JwksInput>>): JwtBundle[] {
  const value = decodeJsonInput(input, 'the bundle map');
  if (!isRecord(value)) throw bundleError('malformed', 'expected an object keyed by trust domain', undefined);
  const bundles: JwtBundle[] = [];
  const seen = new Set<string>();
  for (const [key, jwks] of Object.entries(value)) {
    const bundle = parseJwtBundle(key, jwks as JwksInput);
    if (seen.has(bundle.trustDomain)) throw duplicateTrustDomain(bundle.trustDomain);
    seen.add(bundle.trustDomain);
    bundles.push(bundle);
  }
  return bundles;
}

function normalise(trustDomain: string): string | undefined {
  try {
    return parseTrustDomain(trustDomain);
  } catch {
    return undefined;
  }
}

function indexBundles(bundles: Iterable<JwtBundle>): ReadonlyMap<string, JwtBundle> {
  const map = new Map<string, JwtBundle>();
  for (const bundle of bundles) {
    if (!isRecord(bundle) || typeof bundle.trustDomain !== 'string' || !Array.isArray(bundle.keys)) {
      throw bundleError('malformed', 'not a JwtBundle (use parseJwtBundle)', undefined);
    }
    if (map.has(bundle.trustDomain)) throw duplicateTrustDomain(bundle.trustDomain);
    map.set(bundle.trustDomain, bundle);
  }
  return map;
}

/**
 * Creates a {@link JwtBundleSet}, optionally filled with `bundles`. The Workload API watcher and the file
 * source each keep one and `replace` it on every update.
 *
 * @example
 * ```ts
 * const set = createJwtBundleSet([parseJwtBundle('example.org', jwks)]);
 * set.get('spiffe://example.org'); // the bundle
 * set.replace([]);                  // every trust domain removed at once
 * ```
 */
export function createJwtBundleSet(bundles: Iterable<JwtBundle> = []): JwtBundleSet {
  let current = indexBundles(bundles);
  return {
    get(trustDomain) {
      const name = normalise(trustDomain);
      return name === undefined ? undefined : current.get(name);
    },
    has(trustDomain) {
      const name = normalise(trustDomain);
      return name !== undefined && current.has(name);
    },
    trustDomains() {
      return [...current.keys()].sort();
    },
    get size() {
      return current.size;
    },
    replace(next) {
      current = indexBundles(next);
    },
  };
}

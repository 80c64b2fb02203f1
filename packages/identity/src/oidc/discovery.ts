import { WritError, type WritErrorCode } from '@writ/core';
import {
  clockSchema,
  type FetchLike,
  fetchSchema,
  formatIssues,
  raceAbort,
  safeUrl,
  signalSchema,
  timeoutSchema,
  validateOptions,
} from '@writ/core/internal';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { answerOf, httpOptions } from './oauth-transport.js';
import { endpointUrl, endpointUrlProblem } from './secure-url.js';

/**
 * Defaults of {@link discoverIssuer}.
 *
 * @example
 * ```ts
 * await discoverIssuer(issuer, { cacheTtlMs: DISCOVERY_DEFAULTS.cacheTtlMs / 4 });
 * ```
 */
export const DISCOVERY_DEFAULTS = Object.freeze({
  /** Time limit of the discovery request. @default 5000 */
  timeoutMs: 5_000,
  /** How long a discovered document is reused, per issuer (0 disables the cache). @default 3600000 (1 hour) */
  cacheTtlMs: 3_600_000,
  /** Largest discovery document accepted, bytes. @default 262144 */
  maxBytes: 256 * 1024,
});

/**
 * Options of {@link discoverIssuer}.
 *
 * @example
 * ```ts
 * const options: DiscoverIssuerOptions = { timeoutMs: 2000, cacheTtlMs: 0 };
 * ```
 */
export interface DiscoverIssuerOptions {
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** @default DISCOVERY_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** @default DISCOVERY_DEFAULTS.cacheTtlMs */
  cacheTtlMs?: number | undefined;
  /** Aborts the wait (`WRIT_ABORTED`); a shared request in flight keeps going for other callers. */
  signal?: AbortSignal | undefined;
  /** Epoch milliseconds, for the cache. @default Date.now */
  clock?: (() => number) | undefined;
}

/**
 * What Writ uses of an OpenID Provider's (or RFC 8414 authorization server's) metadata.
 *
 * @example
 * ```ts
 * const { tokenEndpoint, revocationEndpoint }: IssuerMetadata = await discoverIssuer(issuer);
 * ```
 */
export interface IssuerMetadata {
  /** Equal to the configured issuer, character for character. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly authorizationEndpoint?: string | undefined;
  readonly tokenEndpoint?: string | undefined;
  readonly revocationEndpoint?: string | undefined;
  readonly introspectionEndpoint?: string | undefined;
  readonly userinfoEndpoint?: string | undefined;
  readonly grantTypesSupported?: readonly string[] | undefined;
  readonly scopesSupported?: readonly string[] | undefined;
  readonly tokenEndpointAuthMethodsSupported?: readonly string[] | undefined;
  readonly idTokenSigningAlgValuesSupported?: readonly string[] | undefined;
  /** The whole document as received (frozen), for members Writ does not model. */
  readonly document: Readonly<Record<string, unknown>>;
}

const optionsSchema = z.strictObject({
  fetch: fetchSchema.optional(),
  timeoutMs: timeoutSchema.optional(),
  cacheTtlMs: z.number().int().nonnegative().max(86_400_000).optional(),
  signal: signalSchema.optional(),
  clock: clockSchema.optional(),
});

const strings = z.array(z.string()).optional();
const optionalEndpoint = endpointUrl().optional();

const documentSchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: endpointUrl(),
  authorization_endpoint: optionalEndpoint,
  token_endpoint: optionalEndpoint,
  revocation_endpoint: optionalEndpoint,
  introspection_endpoint: optionalEndpoint,
  userinfo_endpoint: optionalEndpoint,
  grant_types_supported: strings,
  scopes_supported: strings,
  token_endpoint_auth_methods_supported: strings,
  id_token_signing_alg_values_supported: strings,
});

interface CacheEntry {
  readonly expiresAt: number;
  readonly metadata: IssuerMetadata;
}

/** Documents per fetch implementation, then per issuer: a test's fake fetch never sees another's cache. */
const caches = new WeakMap<FetchLike, Map<string, CacheEntry>>();
const pending = new WeakMap<FetchLike, Map<string, Promise<IssuerMetadata>>>();

function mapFor<V>(store: WeakMap<FetchLike, Map<string, V>>, key: FetchLike): Map<string, V> {
  let map = store.get(key);
  if (map === undefined) {
    map = new Map();
    store.set(key, map);
  }
  return map;
}

/**
 * Fetches `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and checks it: the
 * document's `issuer` must equal the configured issuer exactly, and every endpoint must be `https` (plain
 * `http` only on loopback hosts). Results are cached per issuer for `cacheTtlMs`; concurrent callers share
 * one request. Unreachable, timing out or answering 5xx: `WRIT_IDENTITY_UNAVAILABLE`; any other bad
 * answer: `WRIT_IDENTITY_INVALID`.
 *
 * @example
 * ```ts
 * const op = await discoverIssuer('https://login.example.com');
 * op.jwksUri;       // 'https://login.example.com/jwks'
 * op.tokenEndpoint; // 'https://login.example.com/token'
 * ```
 */
export async function discoverIssuer(
  issuer: string,
  options: DiscoverIssuerOptions = {},
): Promise<IssuerMetadata> {
  const parsed = validateOptions(optionsSchema, options, 'discoverIssuer');
  const problem =
    typeof issuer === 'string' ? endpointUrlProblem(issuer, { issuer: true }) : 'must be a string';
  if (problem !== undefined) {
    throw new WritError('WRIT_OPTIONS_INVALID', `discoverIssuer: issuer ${problem}`, {
      details: { issues: [`issuer: ${problem}`] },
    });
  }
  const fetchImpl = parsed.fetch ?? (globalThis.fetch as FetchLike);
  const clock = parsed.clock ?? Date.now;
  const ttl = parsed.cacheTtlMs ?? DISCOVERY_DEFAULTS.cacheTtlMs;
  const cache = mapFor(caches, fetchImpl);
  const cached = cache.get(issuer);
  if (cached !== undefined && ttl > 0 && cached.expiresAt > clock()) return cached.metadata;

  const inFlight = mapFor(pending, fetchImpl);
  let request = inFlight.get(issuer);
  if (request === undefined) {
    request = load(issuer, fetchImpl, parsed.timeoutMs ?? DISCOVERY_DEFAULTS.timeoutMs)
      .then((metadata) => {
        if (ttl > 0) cache.set(issuer, { expiresAt: clock() + ttl, metadata });
        return metadata;
      })
      .finally(() => inFlight.delete(issuer));
    inFlight.set(issuer, request);
  }
  return raceAbort(request, parsed.signal, 'OIDC discovery');
}

async function load(issuer: string, fetchImpl: FetchLike, timeoutMs: number): Promise<IssuerMetadata> {
  const what = 'OIDC discovery';
  const expected = new URL(issuer);
  const bounds = { fetch: fetchImpl, timeoutMs, maxBytes: DISCOVERY_DEFAULTS.maxBytes, what };
  const response = await oauth.discoveryRequest(expected, {
    ...httpOptions(issuer, bounds),
    algorithm: 'oidc',
  });
  const { status, json } = answerOf(response);
  const details = { endpoint: safeUrl(wellKnown(issuer)), issuer, status };
  const refuse = (
    code: WritErrorCode,
    reason: string,
    message: string,
    extra: Record<string, unknown> = {},
  ) => new WritError(code, `${what} for ${issuer} ${message}`, { details: { ...details, reason, ...extra } });
  if (status >= 500 || status === 429)
    throw refuse('WRIT_IDENTITY_UNAVAILABLE', 'http_status', `failed with HTTP ${status}`);
  if (status !== 200) throw refuse('WRIT_IDENTITY_INVALID', 'http_status', `answered HTTP ${status}`);
  const result = documentSchema.safeParse(json);
  if (!result.success) {
    const issues = formatIssues(result.error.issues, { root: 'document' });
    throw refuse('WRIT_IDENTITY_INVALID', 'invalid_document', 'returned an invalid document', { issues });
  }
  // oauth4webapi compares the issuers as URLs; Writ then holds them to character-for-character equality
  const mismatch = () =>
    refuse(
      'WRIT_IDENTITY_INVALID',
      'issuer_mismatch',
      'returned a document for another issuer; the issuer must match exactly',
      { documentIssuer: result.data.issuer },
    );
  try {
    await oauth.processDiscoveryResponse(expected, response);
  } catch (error) {
    if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON)
      throw mismatch();
    throw refuse(
      'WRIT_IDENTITY_INVALID',
      'invalid_document',
      `returned an unusable document: ${String((error as Error).message).replaceAll('"', '')}`,
    );
  }
  const doc = result.data;
  if (doc.issuer !== issuer) throw mismatch();
  const list = (value: string[] | undefined) => (value === undefined ? undefined : Object.freeze([...value]));
  return Object.freeze({
    issuer: doc.issuer,
    jwksUri: doc.jwks_uri,
    authorizationEndpoint: doc.authorization_endpoint,
    tokenEndpoint: doc.token_endpoint,
    revocationEndpoint: doc.revocation_endpoint,
    introspectionEndpoint: doc.introspection_endpoint,
    userinfoEndpoint: doc.userinfo_endpoint,
    grantTypesSupported: list(doc.grant_types_supported),
    scopesSupported: list(doc.scopes_supported),
    tokenEndpointAuthMethodsSupported: list(doc.token_endpoint_auth_methods_supported),
    idTokenSigningAlgValuesSupported: list(doc.id_token_signing_alg_values_supported),
    document: deepFreeze(json as Record<string, unknown>),
  });
}

/** Where OpenID Connect Discovery 1.0 §4 puts the document of `issuer`. */
function wellKnown(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

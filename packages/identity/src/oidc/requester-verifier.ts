import { type Principal, WritError } from '@writ/core';
import {
  clockSchema,
  type FetchLike,
  fetchSchema,
  raceAbort,
  safeUrl,
  timeoutSchema,
  validateOptions,
} from '@writ/core/internal';
import type { CallOptions, IdentityProvider } from '@writ/core/plugin';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { tokenError, verifyJwt } from '../jwt.js';
import { discoverIssuer } from './discovery.js';
import { endpointUrl } from './secure-url.js';

/**
 * Defaults of {@link createOidcRequesterVerifier}.
 *
 * @example
 * ```ts
 * createOidcRequesterVerifier({ issuer, audience, algorithms: [...OIDC_REQUESTER_DEFAULTS.algorithms, 'ES384'] });
 * ```
 */
export const OIDC_REQUESTER_DEFAULTS = Object.freeze({
  /** Accepted signature algorithms: pinned here, never taken from the token. @default ['RS256', 'PS256', 'ES256'] */
  algorithms: Object.freeze(['RS256', 'PS256', 'ES256']) as readonly string[],
  /** Tolerated clock skew on `exp`, `nbf` and `iat`, seconds. @default 5 */
  clockToleranceSec: 5,
  /** Claim that identifies the human. @default 'sub' */
  subjectClaim: 'sub',
  /** Time limit of discovery and of each JWKS request. @default 5000 */
  timeoutMs: 5_000,
  /** `name` of the verifier. @default 'oidc' */
  name: 'oidc',
});

/**
 * Options of {@link createOidcRequesterVerifier}.
 *
 * @example
 * ```ts
 * const options: CreateOidcRequesterVerifierOptions = { issuer: 'https://login.example.com', audience: 'support-app', maxTokenAgeSec: 3600 };
 * ```
 */
export interface CreateOidcRequesterVerifierOptions {
  /** The OpenID Provider's issuer identifier; tokens must carry it as `iss`, exactly. */
  issuer: string;
  /** Accepted audience(s): your client id for ID tokens, your API identifier for access tokens. */
  audience: string | readonly string[];
  /** Where the keys are. @default the `jwks_uri` of the issuer's discovery document */
  jwksUri?: string | undefined;
  /** @default OIDC_REQUESTER_DEFAULTS.algorithms */
  algorithms?: readonly string[] | undefined;
  /** @default OIDC_REQUESTER_DEFAULTS.clockToleranceSec */
  clockToleranceSec?: number | undefined;
  /** Refuse tokens issued longer ago than this (needs `iat`), seconds. @default no limit beyond `exp` */
  maxTokenAgeSec?: number | undefined;
  /** @default OIDC_REQUESTER_DEFAULTS.subjectClaim */
  subjectClaim?: string | undefined;
  /** Used for discovery and the JWKS. @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** @default OIDC_REQUESTER_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Epoch milliseconds, the verification time. @default Date.now */
  clock?: (() => number) | undefined;
  /** @default OIDC_REQUESTER_DEFAULTS.name */
  name?: string | undefined;
}

/**
 * The requester half of an `IdentityProvider`; combine it with an agent source via `composeIdentity`.
 *
 * @example
 * ```ts
 * const identity = composeIdentity({ requesters: createOidcRequesterVerifier({ issuer, audience }), agents: createLocalIdentity({ authority }) });
 * ```
 */
export interface OidcRequesterVerifier extends Pick<IdentityProvider, 'name'> {
  readonly issuer: string;
  /**
   * Verifies an ID token or JWT access token and returns the human it names
   * (`{ kind: 'human', id: <subject claim>, issuer, name, assurance: 'verified', claims }`).
   */
  verifyRequester(token: string, options?: Partial<CallOptions>): Promise<Principal>;
}

const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const optionsSchema = z.strictObject({
  issuer: endpointUrl({ issuer: true }),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  jwksUri: endpointUrl().optional(),
  algorithms: z
    .array(
      z.enum(ALGORITHMS as [string, ...string[]], {
        message: `must be asymmetric JWS algorithms (${ALGORITHMS.join(', ')})`,
      }),
    )
    .min(1)
    .optional(),
  clockToleranceSec: z.number().int().nonnegative().max(300).optional(),
  maxTokenAgeSec: z.number().int().positive().optional(),
  subjectClaim: z.string().min(1).optional(),
  fetch: fetchSchema.optional(),
  timeoutMs: timeoutSchema.optional(),
  clock: clockSchema.optional(),
  name: z.string().min(1).max(256).optional(),
});

const WHAT = 'requester token';

/**
 * Verifies human requesters' OIDC tokens (ID tokens, or JWT access tokens for your API) against the
 * issuer's published keys: keys from `jwksUri` or OIDC discovery (loaded on first use, cached and
 * refreshed by jose on unknown `kid`), algorithms pinned (`RS256`, `PS256`, `ES256` by default), `iss`,
 * `aud` and `exp` required, and the strict checks every Writ verifier makes (size cap, no key-carrying or
 * `crit` headers, no duplicate claims, `nbf`/`iat` not in the future). Refusals are `WritError`s with a
 * token code (`WRIT_TOKEN_EXPIRED`, `WRIT_AUDIENCE_MISMATCH`, `WRIT_ISSUER_MISMATCH`,
 * `WRIT_TOKEN_INVALID`, …) and `details.reason`; an unreachable issuer is `WRIT_IDENTITY_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const requesters = createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'support-app' });
 * const alice = await requesters.verifyRequester(bearerToken(request), { signal: request.signal });
 * alice.id; // the token's `sub`
 * ```
 */
export function createOidcRequesterVerifier(
  options: CreateOidcRequesterVerifierOptions,
): OidcRequesterVerifier {
  const o = validateOptions(optionsSchema, options, 'createOidcRequesterVerifier');
  const algorithms = Object.freeze([...(o.algorithms ?? OIDC_REQUESTER_DEFAULTS.algorithms)]);
  const audience = typeof o.audience === 'string' ? o.audience : Object.freeze([...o.audience]);
  const subjectClaim = o.subjectClaim ?? OIDC_REQUESTER_DEFAULTS.subjectClaim;
  const tolerance = o.clockToleranceSec ?? OIDC_REQUESTER_DEFAULTS.clockToleranceSec;
  const timeoutMs = o.timeoutMs ?? OIDC_REQUESTER_DEFAULTS.timeoutMs;
  const clock = o.clock ?? Date.now;
  const requiredClaims = ['iss', 'aud', 'exp', subjectClaim];
  if (o.maxTokenAgeSec !== undefined) requiredClaims.push('iat');

  // The key set is made once (after discovery, when no jwksUri is given); a failed discovery is retried.
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const loadKeys = (): Promise<JWTVerifyGetKey> => {
    if (keys !== undefined) return keys;
    const loading = (async () => {
      const jwksUri = o.jwksUri ?? (await discoverIssuer(o.issuer, { fetch: o.fetch, timeoutMs })).jwksUri;
      return createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMs,
        [customFetch]: jwksFetch(o.fetch, jwksUri),
      });
    })();
    keys = loading;
    loading.catch(() => {
      if (keys === loading) keys = undefined;
    });
    return loading;
  };

  const verify = async (token: string): Promise<Principal> => {
    const key = await loadKeys();
    const currentDate = new Date(clock());
    const { payload, header } = await verifyJwt(token, key, {
      what: WHAT,
      algorithms,
      issuer: o.issuer,
      audience,
      requiredClaims,
      clockToleranceSec: tolerance,
      currentDate,
    });
    // explicit typing (RFC 8725 §3.11): a logout token, transaction token or any other JWT the OP signs
    // for this audience is not a sign-in
    if (!isIdTokenType(header.typ)) {
      throw tokenError(
        'WRIT_TOKEN_INVALID',
        WHAT,
        'typ',
        `typ ${JSON.stringify(header.typ)} is not an ID token type (JWT, at+jwt or none)`,
      );
    }
    if (o.maxTokenAgeSec !== undefined) {
      const age = Math.floor(currentDate.getTime() / 1000) - (payload.iat as number);
      if (age > o.maxTokenAgeSec + tolerance) {
        throw tokenError(
          'WRIT_TOKEN_EXPIRED',
          WHAT,
          'too_old',
          `token was issued more than ${o.maxTokenAgeSec} s ago`,
        );
      }
    }
    const id = payload[subjectClaim];
    if (typeof id !== 'string' || id.length === 0) {
      throw tokenError(
        'WRIT_TOKEN_INVALID',
        WHAT,
        'invalid_subject',
        `claim "${subjectClaim}" is not a non-empty string`,
        {
          claim: subjectClaim,
        },
      );
    }
    const name = [payload.name, payload.preferred_username, payload.email].find(
      (v): v is string => typeof v === 'string' && v.length > 0,
    );
    const principal: Principal = {
      kind: 'human',
      id,
      issuer: o.issuer,
      name,
      assurance: 'verified',
      claims: Object.freeze(structuredClone(payload)),
    };
    return Object.freeze(principal);
  };

  return Object.freeze({
    name: o.name ?? OIDC_REQUESTER_DEFAULTS.name,
    issuer: o.issuer,
    verifyRequester(token: string, callOptions: Partial<CallOptions> = {}): Promise<Principal> {
      return raceAbort(verify(token), callOptions.signal, 'requester verification');
    },
  });
}

/**
 * The fetch handed to jose for the JWKS: the configured one, with failures to get a 200 turned into
 * `WRIT_IDENTITY_UNAVAILABLE` (jose would otherwise report a generic error that reads like a bad token).
 */
function jwksFetch(fetchImpl: FetchLike | undefined, jwksUri: string) {
  const endpoint = safeUrl(jwksUri);
  return async (url: string, init: RequestInit): Promise<Response> => {
    const doFetch = fetchImpl ?? (globalThis.fetch as FetchLike);
    let response: Response;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') throw error;
      throw new WritError('WRIT_IDENTITY_UNAVAILABLE', 'the issuer JWKS could not be reached', {
        details: { endpoint, reason: 'network' },
        cause: error,
      });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new WritError('WRIT_IDENTITY_UNAVAILABLE', `the issuer JWKS answered HTTP ${response.status}`, {
        details: { endpoint, reason: 'http_status', status: response.status },
      });
    }
    return response;
  };
}

/** ID tokens carry no `typ`, or `JWT` (some OPs sign access tokens as `at+jwt` for the same audience). */
function isIdTokenType(typ: unknown): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase().replace(/^application\//, '');
  return t === 'jwt' || t === 'at+jwt';
}

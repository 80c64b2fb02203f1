import { WritError } from '@writ/core';
import {
  clockSchema,
  type FetchLike,
  fetchSchema,
  raceAbort,
  signalSchema,
  timeoutSchema,
  validateOptions,
} from '@writ/core/internal';
import type * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { discoverIssuer } from './discovery.js';
import {
  clientAuthSchema,
  invalidResponse,
  many,
  requestToken,
  scopeTokenSchema,
  splitScope,
} from './oauth-request.js';
import { endpointUrl } from './secure-url.js';

/**
 * Defaults of {@link createClientCredentialsSource}.
 *
 * @example
 * ```ts
 * createClientCredentialsSource({ ...options, refreshSkewSec: CLIENT_CREDENTIALS_DEFAULTS.refreshSkewSec * 2 });
 * ```
 */
export const CLIENT_CREDENTIALS_DEFAULTS = Object.freeze({
  /** How the client authenticates. @default 'client_secret_basic' */
  clientAuth: 'client_secret_basic' as 'client_secret_basic' | 'client_secret_post',
  /** A cached token is replaced this long before it expires (at most half its lifetime), seconds. @default 30 */
  refreshSkewSec: 30,
  /** Time limit of each token request (and of discovery). @default 5000 */
  timeoutMs: 5_000,
});

/**
 * Options of {@link createClientCredentialsSource}. Give `issuer` (discovered) or `tokenEndpoint`.
 *
 * @example
 * ```ts
 * const options: CreateClientCredentialsSourceOptions = { tokenEndpoint: 'https://login.example.com/token', clientId: 'agent', clientSecret };
 * ```
 */
export interface CreateClientCredentialsSourceOptions {
  /** The issuer whose discovery document names the token endpoint. */
  issuer?: string | undefined;
  /** The token endpoint itself (`https`; plain `http` only on loopback hosts). */
  tokenEndpoint?: string | undefined;
  clientId: string;
  clientSecret: string;
  /** @default CLIENT_CREDENTIALS_DEFAULTS.clientAuth */
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | undefined;
  /** `scope` to ask for. */
  scope?: readonly string[] | undefined;
  /** `audience` parameter (non-standard, used by some servers), repeated when several. */
  audience?: string | readonly string[] | undefined;
  /** `resource` indicators (RFC 8707), repeated when several. */
  resource?: string | readonly string[] | undefined;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** @default CLIENT_CREDENTIALS_DEFAULTS.refreshSkewSec */
  refreshSkewSec?: number | undefined;
  /** @default CLIENT_CREDENTIALS_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Epoch milliseconds. @default Date.now */
  clock?: (() => number) | undefined;
}

/**
 * An access token obtained with the client credentials grant.
 *
 * @example
 * ```ts
 * const { accessToken, expiresAt }: ClientCredentialsToken = await agentTokens.getToken();
 * ```
 */
export interface ClientCredentialsToken {
  /** The access token. Non-enumerable: absent from logs and spreads. */
  readonly accessToken: string;
  /** Expiry, epoch milliseconds; `undefined` when the server sent no `expires_in` (such tokens are not cached). */
  readonly expiresAt: number | undefined;
  /** Granted scope: the answer's `scope`, else the requested one, else `undefined`. */
  readonly scope: readonly string[] | undefined;
  readonly tokenType: 'Bearer';
}

/**
 * Options of {@link ClientCredentialsSource.getToken}.
 *
 * @example
 * ```ts
 * await agentTokens.getToken({ signal: AbortSignal.timeout(2000) } satisfies GetClientCredentialsTokenOptions);
 * ```
 */
export interface GetClientCredentialsTokenOptions {
  /** Stops waiting (`WRIT_ABORTED`); a request already shared with other callers keeps going. */
  signal?: AbortSignal | undefined;
}

/**
 * Agent access tokens from an OAuth 2.0 client credentials grant, cached until shortly before expiry.
 *
 * @example
 * ```ts
 * const response = await fetch(api, { headers: { authorization: `Bearer ${(await agentTokens.getToken()).accessToken}` } });
 * if (response.status === 401) agentTokens.invalidate();
 * ```
 */
export interface ClientCredentialsSource {
  readonly clientId: string;
  /** A valid token: the cached one, or a new one (concurrent callers share one request). */
  getToken(options?: GetClientCredentialsTokenOptions): Promise<ClientCredentialsToken>;
  /** Forgets the cached token (e.g. after the resource server answered 401). */
  invalidate(): void;
}

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const optionsSchema = z
  .strictObject({
    issuer: endpointUrl({ issuer: true }).optional(),
    tokenEndpoint: endpointUrl().optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    clientAuth: clientAuthSchema.exclude(['none']).optional(),
    scope: z.array(scopeTokenSchema).optional(),
    audience: oneOrMany.optional(),
    resource: oneOrMany.optional(),
    fetch: fetchSchema.optional(),
    refreshSkewSec: z.number().int().nonnegative().max(3600).optional(),
    timeoutMs: timeoutSchema.optional(),
    clock: clockSchema.optional(),
  })
  .refine((o) => (o.issuer === undefined) !== (o.tokenEndpoint === undefined), {
    message: 'give exactly one of issuer and tokenEndpoint',
    path: ['tokenEndpoint'],
  });

const getTokenSchema = z.strictObject({ signal: signalSchema.optional() });

const WHAT = 'token endpoint (client credentials)';

/**
 * Gets access tokens for an agent (or any workload) with the OAuth 2.0 client credentials grant
 * (RFC 6749 §4.4). Tokens are cached until `refreshSkewSec` before `expires_in` runs out; concurrent
 * `getToken` calls share one request. The client authenticates with `client_secret_basic` (default) or
 * `client_secret_post`. Unreachable server, timeout or 5xx: `WRIT_IDENTITY_UNAVAILABLE`; an OAuth error
 * such as `invalid_client`: `WRIT_IDENTITY_INVALID` (`invalid_scope`: `WRIT_SCOPE_EXCEEDED`) with the
 * OAuth code in `details.error`. The secret never appears in errors.
 *
 * @example
 * ```ts
 * const agentTokens = createClientCredentialsSource({
 *   issuer: 'https://login.example.com',
 *   clientId: 'support-agent',
 *   clientSecret: process.env.AGENT_SECRET!,
 *   scope: ['orders:read'],
 * });
 * const { accessToken } = await agentTokens.getToken();
 * ```
 */
export function createClientCredentialsSource(
  options: CreateClientCredentialsSourceOptions,
): ClientCredentialsSource {
  const o = validateOptions(optionsSchema, options, 'createClientCredentialsSource');
  const clock = o.clock ?? Date.now;
  const skewMs = (o.refreshSkewSec ?? CLIENT_CREDENTIALS_DEFAULTS.refreshSkewSec) * 1000;
  const timeoutMs = o.timeoutMs ?? CLIENT_CREDENTIALS_DEFAULTS.timeoutMs;
  const requestedScope = o.scope === undefined ? undefined : Object.freeze([...o.scope]);
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (requestedScope !== undefined && requestedScope.length > 0) form.set('scope', requestedScope.join(' '));
  for (const resource of many(o.resource)) form.append('resource', resource);
  for (const audience of many(o.audience)) form.append('audience', audience);

  let cached: { token: ClientCredentialsToken; refreshAt: number } | undefined;
  let inFlight: Promise<ClientCredentialsToken> | undefined;

  const server = async (): Promise<oauth.AuthorizationServer & { token_endpoint: string }> => {
    if (o.tokenEndpoint !== undefined) {
      // no discovery: the configured endpoint stands for its server
      return { issuer: new URL(o.tokenEndpoint).origin, token_endpoint: o.tokenEndpoint };
    }
    const metadata = await discoverIssuer(o.issuer as string, { fetch: o.fetch, timeoutMs, clock });
    if (metadata.tokenEndpoint === undefined) {
      throw new WritError('WRIT_IDENTITY_INVALID', `issuer ${metadata.issuer} publishes no token_endpoint`, {
        details: { reason: 'no_token_endpoint', issuer: metadata.issuer },
      });
    }
    return { ...metadata.document, issuer: metadata.issuer, token_endpoint: metadata.tokenEndpoint };
  };

  const request = async (): Promise<ClientCredentialsToken> => {
    const body = await requestToken(await server(), 'client_credentials', form, {
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      clientAuth: o.clientAuth ?? CLIENT_CREDENTIALS_DEFAULTS.clientAuth,
      fetch: o.fetch,
      timeoutMs,
      what: WHAT,
    });
    if (body.token_type !== 'bearer') throw invalidResponse(WHAT, 'token_type must be "Bearer"');
    const scope = body.scope === undefined ? requestedScope : Object.freeze(splitScope(body.scope));
    const now = clock();
    const token = {
      expiresAt: body.expires_in === undefined ? undefined : now + Math.floor(body.expires_in * 1000),
      scope,
      tokenType: 'Bearer' as const,
    };
    Object.defineProperty(token, 'accessToken', {
      value: body.access_token,
      enumerable: false,
      writable: false,
    });
    return Object.freeze(token) as ClientCredentialsToken;
  };

  return {
    clientId: o.clientId,
    async getToken(getOptions: GetClientCredentialsTokenOptions = {}) {
      const { signal } = validateOptions(getTokenSchema, getOptions, 'getToken');
      if (cached !== undefined && cached.refreshAt > clock()) return cached.token;
      if (inFlight === undefined) {
        const current = request()
          .then((token) => {
            if (inFlight === current) cached = cacheEntry(token, clock(), skewMs);
            return token;
          })
          .finally(() => {
            if (inFlight === current) inFlight = undefined;
          });
        inFlight = current;
      }
      return raceAbort(inFlight, signal, WHAT);
    },
    invalidate() {
      cached = undefined;
      inFlight = undefined;
    },
  };
}

/** When to replace a token: `skewMs` before expiry, but never before half its lifetime has passed. */
function cacheEntry(token: ClientCredentialsToken, now: number, skewMs: number) {
  if (token.expiresAt === undefined) return undefined;
  const lifetime = token.expiresAt - now;
  return { token, refreshAt: now + Math.max(lifetime - skewMs, lifetime / 2) };
}

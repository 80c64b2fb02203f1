import { WritError } from '@writ/core';
import { clockSchema, type FetchLike, validateOptions } from '@writ/core/internal';
import { isScopeSubset, scopeCovers } from '@writ/core/plugin';
import { z } from 'zod';
import {
  type ClientAuthMethod,
  clientOptionsShape,
  invalidResponse,
  many,
  refineClientAuth,
  requestToken,
  scopeTokenSchema,
  splitScope,
} from './oauth-request.js';
import { endpointUrl } from './secure-url.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from './token-types.js';

/**
 * Defaults of {@link exchangeToken}.
 *
 * @example
 * ```ts
 * await exchangeToken({ ...request, timeoutMs: TOKEN_EXCHANGE_DEFAULTS.timeoutMs * 2 });
 * ```
 */
export const TOKEN_EXCHANGE_DEFAULTS = Object.freeze({
  /** Time limit of the exchange request. @default 5000 */
  timeoutMs: 5_000,
});

/**
 * Options of {@link exchangeToken}: the RFC 8693 §2.1 request parameters plus client authentication.
 *
 * @example
 * ```ts
 * const request: ExchangeTokenOptions = { tokenEndpoint, clientId: 'writ-broker', clientSecret, subjectToken, subjectTokenType: TOKEN_TYPES.txnToken, audience: 'payments' };
 * ```
 */
export interface ExchangeTokenOptions {
  /** The authorization server's token endpoint (`https`; plain `http` only on loopback hosts). */
  tokenEndpoint: string;
  clientId: string;
  /** Omit for a public client (`clientAuth: 'none'`). */
  clientSecret?: string | undefined;
  /** @default 'client_secret_basic' when `clientSecret` is set, else 'none' */
  clientAuth?: ClientAuthMethod | undefined;
  /** `subject_token`: the token that represents the party on whose behalf the request is made. */
  subjectToken: string;
  /** `subject_token_type`, e.g. {@link TOKEN_TYPES}.txnToken. */
  subjectTokenType: string;
  /** `actor_token`: the token of the party acting (the agent), for delegation. */
  actorToken?: string | undefined;
  /** `actor_token_type`; required with `actorToken`, refused without it. */
  actorTokenType?: string | undefined;
  /** `audience` (repeatable): logical names of the target services. */
  audience?: string | readonly string[] | undefined;
  /** `resource` (repeatable): absolute URIs of the target services (no fragment). */
  resource?: string | readonly string[] | undefined;
  /** `scope`: what the issued token should allow. The answer may narrow it, never widen it. */
  scope?: readonly string[] | undefined;
  /** `requested_token_type`, e.g. {@link TOKEN_TYPES}.accessToken. */
  requestedTokenType?: string | undefined;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  /** @default TOKEN_EXCHANGE_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Epoch milliseconds, to compute `expiresAt`. @default Date.now */
  clock?: (() => number) | undefined;
}

/**
 * The checked answer of a token exchange (RFC 8693 §2.2.1).
 *
 * @example
 * ```ts
 * const { accessToken, issuedTokenType, expiresAt }: TokenExchangeResult = await exchangeToken(request);
 * ```
 */
export interface TokenExchangeResult {
  /** The issued token (`access_token`, whatever its type). Non-enumerable: absent from logs and spreads. */
  readonly accessToken: string;
  /** `issued_token_type`: what `accessToken` is. */
  readonly issuedTokenType: string;
  /** `Bearer`, or `N_A` when the issued token is not an access token. */
  readonly tokenType: 'Bearer' | 'N_A';
  /** Expiry, epoch milliseconds, from `expires_in`; `undefined` when the server did not say. */
  readonly expiresAt: number | undefined;
  /**
   * Scope of the issued token: the answer's `scope`, else the requested scope (RFC 8693 §2.2.1 lets the
   * server omit it when identical), else `undefined`.
   */
  readonly scope: readonly string[] | undefined;
}

/** An absolute URI, as token type identifiers are. */
const absoluteUri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/, 'must be an absolute URI');
const resourceUri = absoluteUri.refine((v) => URL.canParse(v) && !v.includes('#'), {
  message: 'must be an absolute URI without a fragment (RFC 8707)',
});
const nonEmpty = z.string().min(1);
const oneOrMany = <T extends z.ZodType<string>>(item: T) => z.union([item, z.array(item).min(1)]);

const optionsSchema = z
  .strictObject({
    tokenEndpoint: endpointUrl(),
    ...clientOptionsShape,
    subjectToken: nonEmpty,
    subjectTokenType: absoluteUri,
    actorToken: nonEmpty.optional(),
    actorTokenType: absoluteUri.optional(),
    audience: oneOrMany(nonEmpty).optional(),
    resource: oneOrMany(resourceUri).optional(),
    scope: z.array(scopeTokenSchema).optional(),
    requestedTokenType: absoluteUri.optional(),
    clock: clockSchema.optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.actorToken === undefined) !== (o.actorTokenType === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['actorTokenType'],
        message: 'actorToken and actorTokenType go together (RFC 8693 §2.1)',
      });
    }
    refineClientAuth(o, ctx);
  });

const WHAT = 'token endpoint (token exchange)';

/**
 * OAuth 2.0 Token Exchange (RFC 8693) client: trades a subject token (and optionally an actor token) for
 * a token aimed at one target, usually narrower. Sends every §2.1 parameter given (`audience` and
 * `resource` repeated when several), authenticates the client, and checks the §2.2.1 answer:
 * `access_token` and `issued_token_type` present, `token_type` `Bearer` or `N_A`, `expires_in` a number,
 * and `scope` no wider than the requested scope (`WRIT_SCOPE_EXCEEDED`). An OAuth error answer (§2.2.2)
 * is a `WritError` with the OAuth `error` in `details.error`. Tokens and the client secret never appear in
 * errors.
 *
 * @example
 * ```ts
 * const result = await exchangeToken({
 *   tokenEndpoint: 'https://login.example.com/token',
 *   clientId: 'writ-broker',
 *   clientSecret: process.env.BROKER_SECRET,
 *   subjectToken: taskToken,
 *   subjectTokenType: TOKEN_TYPES.txnToken,
 *   actorToken: agentSvid,
 *   actorTokenType: TOKEN_TYPES.jwt,
 *   resource: 'https://payments.example.com',
 *   scope: ['payments:refund'],
 * });
 * await fetch('https://payments.example.com/refunds', { headers: { authorization: `Bearer ${result.accessToken}` } });
 * ```
 */
export async function exchangeToken(options: ExchangeTokenOptions): Promise<TokenExchangeResult> {
  const o = validateOptions(optionsSchema, options, 'exchangeToken');
  const clock = o.clock ?? Date.now;
  const form = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    subject_token: o.subjectToken,
    subject_token_type: o.subjectTokenType,
  });
  if (o.actorToken !== undefined && o.actorTokenType !== undefined) {
    form.set('actor_token', o.actorToken);
    form.set('actor_token_type', o.actorTokenType);
  }
  for (const resource of many(o.resource)) form.append('resource', resource);
  for (const audience of many(o.audience)) form.append('audience', audience);
  if (o.scope !== undefined && o.scope.length > 0) form.set('scope', o.scope.join(' '));
  if (o.requestedTokenType !== undefined) form.set('requested_token_type', o.requestedTokenType);

  const body = await requestToken(
    { issuer: new URL(o.tokenEndpoint).origin, token_endpoint: o.tokenEndpoint },
    TOKEN_EXCHANGE_GRANT_TYPE,
    form,
    {
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      clientAuth: o.clientAuth,
      fetch: o.fetch,
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? TOKEN_EXCHANGE_DEFAULTS.timeoutMs,
      what: WHAT,
      secrets: [o.subjectToken, o.actorToken],
    },
    // RFC 8693 §2.2.1: `N_A` when the issued token is not an access token
    { n_a: () => undefined },
  );
  const issuedTokenType = body.issued_token_type;
  if (typeof issuedTokenType !== 'string' || !absoluteUri.safeParse(issuedTokenType).success) {
    throw invalidResponse(WHAT, 'issued_token_type is missing or not a URI');
  }
  const tokenType = body.token_type === 'n_a' ? 'N_A' : 'Bearer';
  if (body.token_type !== 'bearer' && tokenType !== 'N_A') {
    throw invalidResponse(WHAT, 'token_type must be "Bearer" or "N_A"', {
      tokenType: body.token_type.slice(0, 32),
    });
  }
  const expiresAt = body.expires_in === undefined ? undefined : clock() + Math.floor(body.expires_in * 1000);
  let scope: readonly string[] | undefined = o.scope === undefined ? undefined : [...o.scope];
  if (body.scope !== undefined) {
    const granted = splitScope(body.scope);
    if (o.scope !== undefined && !isScopeSubset(granted, o.scope)) {
      const requested = o.scope;
      throw new WritError(
        'WRIT_SCOPE_EXCEEDED',
        `${WHAT} issued a token with more scope than was asked for`,
        {
          details: {
            reason: 'scope_widened',
            requested: [...requested],
            granted,
            exceeding: granted.filter((item) => !scopeCovers(requested, item)),
          },
        },
      );
    }
    scope = granted;
  }

  const result = {
    issuedTokenType,
    tokenType,
    expiresAt,
    scope: scope === undefined ? undefined : Object.freeze(scope),
  };
  Object.defineProperty(result, 'accessToken', {
    value: body.access_token,
    enumerable: false,
    writable: false,
  });
  return Object.freeze(result) as TokenExchangeResult;
}

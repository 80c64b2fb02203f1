import { type FetchLike, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import {
  type ClientAuthMethod,
  clientOptionsShape,
  refineClientAuth,
  requestRevocation,
} from './oauth-request.js';
import { endpointUrl } from './secure-url.js';

/**
 * Defaults of {@link revokeToken}.
 *
 * @example
 * ```ts
 * await revokeToken({ ...request, timeoutMs: REVOCATION_DEFAULTS.timeoutMs / 2 });
 * ```
 */
export const REVOCATION_DEFAULTS = Object.freeze({
  /** Time limit of the revocation request. @default 5000 */
  timeoutMs: 5_000,
});

/**
 * Options of {@link revokeToken} (RFC 7009 §2.1).
 *
 * @example
 * ```ts
 * const request: RevokeTokenOptions = { revocationEndpoint, token, tokenTypeHint: 'access_token', clientId, clientSecret };
 * ```
 */
export interface RevokeTokenOptions {
  /** The authorization server's revocation endpoint (`https`; plain `http` only on loopback hosts). */
  revocationEndpoint: string;
  /** The token to revoke. */
  token: string;
  /** `token_type_hint`: `access_token`, `refresh_token`, or a registered extension value. */
  tokenTypeHint?: 'access_token' | 'refresh_token' | (string & {}) | undefined;
  clientId: string;
  /** Omit for a public client (`clientAuth: 'none'`). */
  clientSecret?: string | undefined;
  /** @default 'client_secret_basic' when `clientSecret` is set, else 'none' */
  clientAuth?: ClientAuthMethod | undefined;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  /** @default REVOCATION_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
}

const optionsSchema = z
  .strictObject({
    revocationEndpoint: endpointUrl(),
    token: z.string().min(1),
    tokenTypeHint: z
      .string()
      .regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be a token type hint such as "access_token"')
      .optional(),
    ...clientOptionsShape,
  })
  .superRefine(refineClientAuth);

/**
 * OAuth 2.0 Token Revocation (RFC 7009) client. Resolves when the server answers 200, which it also does
 * for tokens it does not know or that are already invalid (§2.2): the token is unusable either way. An
 * OAuth error such as `unsupported_token_type` or `invalid_client` is a `WritError`
 * (`WRIT_IDENTITY_INVALID`) with the OAuth code in `details.error`; an unreachable server, a timeout or
 * 503 is `WRIT_IDENTITY_UNAVAILABLE`. The token and the client secret never appear in errors.
 *
 * @example
 * ```ts
 * await revokeToken({
 *   revocationEndpoint: 'https://login.example.com/token/revocation',
 *   token: credential.token,
 *   tokenTypeHint: 'access_token',
 *   clientId: 'writ-broker',
 *   clientSecret: process.env.BROKER_SECRET,
 * });
 * ```
 */
export async function revokeToken(options: RevokeTokenOptions): Promise<void> {
  const o = validateOptions(optionsSchema, options, 'revokeToken');
  const parameters = new URLSearchParams();
  if (o.tokenTypeHint !== undefined) parameters.set('token_type_hint', o.tokenTypeHint);
  await requestRevocation(
    { issuer: new URL(o.revocationEndpoint).origin, revocation_endpoint: o.revocationEndpoint },
    o.token,
    parameters,
    {
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      clientAuth: o.clientAuth,
      fetch: o.fetch,
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? REVOCATION_DEFAULTS.timeoutMs,
      what: 'revocation endpoint',
      secrets: [o.token],
    },
  );
}

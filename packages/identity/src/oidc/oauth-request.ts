import { WritError, type WritErrorCode } from '@writ/core';
import { type FetchLike, fetchJson, safeUrl } from '@writ/core/internal';
import { z } from 'zod';

/**
 * How a client authenticates to the authorization server (RFC 6749 §2.3.1, OIDC Core §9):
 * `client_secret_basic` (HTTP Basic), `client_secret_post` (in the form body), or `none` (public client;
 * only `client_id` is sent).
 *
 * @example
 * ```ts
 * const clientAuth: ClientAuthMethod = 'client_secret_post';
 * await exchangeToken({ ...request, clientAuth });
 * ```
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** @internal zod schema of a `clientAuth` option. */
export const clientAuthSchema = z.enum(['client_secret_basic', 'client_secret_post', 'none']);

/** @internal Largest token-endpoint answer accepted, bytes. */
export const MAX_OAUTH_RESPONSE_BYTES = 64 * 1024;

/** An OAuth scope token: printable ASCII without space, `"` or `\` (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** An OAuth error code: printable ASCII without `"` or `\` (RFC 6749 §5.2). */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** @internal zod schema of one OAuth scope token. */
export const scopeTokenSchema = z.string().regex(SCOPE_TOKEN, 'must be an OAuth scope token (no spaces)');

/**
 * Checks the client-authentication options shared by every OAuth call: a secret needs
 * `client_secret_basic`/`client_secret_post`, `none` takes no secret. Returns the problem, if any.
 *
 * @internal
 * @example
 * ```ts
 * clientAuthProblem('none', 'secret'); // 'clientSecret must not be set when clientAuth is "none"'
 * ```
 */
export function clientAuthProblem(
  clientAuth: ClientAuthMethod | undefined,
  clientSecret: string | undefined,
): string | undefined {
  if (clientAuth === 'none' && clientSecret !== undefined) {
    return 'clientSecret must not be set when clientAuth is "none"';
  }
  if (clientAuth !== undefined && clientAuth !== 'none' && clientSecret === undefined) {
    return `clientAuth "${clientAuth}" needs clientSecret`;
  }
  return undefined;
}

/** @internal Options of {@link postOAuthForm}. */
export interface PostOAuthFormOptions {
  clientId: string;
  clientSecret?: string | undefined;
  /** @default 'client_secret_basic' with a secret, 'none' without */
  clientAuth?: ClientAuthMethod | undefined;
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** What is being called, for messages ("token endpoint", "revocation endpoint"). */
  what: string;
  /** Values that must never appear in an error (tokens sent in the form); the client secret is added. */
  secrets?: readonly (string | undefined)[] | undefined;
  /** Whether a 2xx answer must be a JSON object (token endpoints) or may be anything (revocation). @default true */
  expectJson?: boolean | undefined;
}

/** @internal A successful OAuth answer. */
export interface OAuthSuccess {
  readonly status: number;
  /** The JSON object answered, or `undefined` for an empty body. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
}

/** OAuth error codes and the Writ code each maps to; others are `WRIT_IDENTITY_INVALID`. */
const ERROR_CODES: Readonly<Record<string, WritErrorCode>> = Object.freeze({
  invalid_scope: 'WRIT_SCOPE_EXCEEDED',
  server_error: 'WRIT_IDENTITY_UNAVAILABLE',
  temporarily_unavailable: 'WRIT_IDENTITY_UNAVAILABLE',
});

/**
 * Form-encodes a client id or secret for HTTP Basic authentication, as RFC 6749 §2.3.1 asks
 * (`application/x-www-form-urlencoded`, then base64).
 *
 * @internal
 * @example
 * ```ts
 * basicAuthorization('agent', 's3cr3t'); // 'Basic YWdlbnQ6czNjcjN0'
 * ```
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/**
 * POSTs an `application/x-www-form-urlencoded` OAuth request with client authentication and judges the
 * answer: 2xx with a JSON object (or an empty body) is returned; an OAuth error (RFC 6749 §5.2) becomes a
 * `WritError` whose `details.error` is the OAuth code (`invalid_scope` → `WRIT_SCOPE_EXCEEDED`,
 * `server_error`/`temporarily_unavailable`/5xx/429 → `WRIT_IDENTITY_UNAVAILABLE`, anything else
 * `WRIT_IDENTITY_INVALID`). The client secret and the tokens listed in `secrets` never reach an error:
 * an `error_description` that quotes one is dropped.
 *
 * @internal
 * @example
 * ```ts
 * const { body } = await postOAuthForm(tokenEndpoint, new URLSearchParams({ grant_type: 'client_credentials' }), {
 *   clientId, clientSecret, timeoutMs: 5000, what: 'token endpoint',
 * });
 * ```
 */
export async function postOAuthForm(
  endpoint: string,
  form: URLSearchParams,
  options: PostOAuthFormOptions,
): Promise<OAuthSuccess> {
  const { clientId, clientSecret, what } = options;
  const method = options.clientAuth ?? (clientSecret === undefined ? 'none' : 'client_secret_basic');
  const body = new URLSearchParams(form);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (method === 'client_secret_basic') {
    headers.authorization = basicAuthorization(clientId, clientSecret ?? '');
  } else {
    body.set('client_id', clientId);
    if (method === 'client_secret_post') body.set('client_secret', clientSecret ?? '');
  }
  const response = await fetchJson(
    endpoint,
    { method: 'POST', headers, body: body.toString() },
    {
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      maxBytes: MAX_OAUTH_RESPONSE_BYTES,
      what,
    },
  );
  const { status, json, empty } = response;
  const details = { endpoint: safeUrl(endpoint), status };
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  if (status >= 200 && status < 300) {
    if (empty || options.expectJson === false) return { status, body: undefined };
    if (isObject) return { status, body: json as Record<string, unknown> };
    throw new WritError('WRIT_IDENTITY_INVALID', `${what} answered something that is not a JSON object`, {
      details: { ...details, reason: 'invalid_response' },
    });
  }
  const error = isObject ? (json as Record<string, unknown>).error : undefined;
  const oauthError = typeof error === 'string' && ERROR_CODE.test(error) ? error : undefined;
  const extra: Record<string, unknown> = {};
  if (oauthError !== undefined) {
    extra.error = oauthError;
    const description = (json as Record<string, unknown>).error_description;
    const secrets = [clientSecret, ...(options.secrets ?? [])].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
    if (typeof description === 'string' && !secrets.some((s) => description.includes(s))) {
      extra.errorDescription = description.slice(0, 256);
    }
  }
  if (status >= 500 || status === 429) {
    throw new WritError('WRIT_IDENTITY_UNAVAILABLE', `${what} failed with HTTP ${status}`, {
      details: { ...details, reason: 'http_status', ...extra },
    });
  }
  if (status >= 300 && status < 400) {
    throw new WritError('WRIT_IDENTITY_INVALID', `${what} answered with a redirect, which is not followed`, {
      details: { ...details, reason: 'redirect' },
    });
  }
  if (oauthError === undefined) {
    throw new WritError(
      'WRIT_IDENTITY_INVALID',
      `${what} answered HTTP ${status} without an OAuth error code`,
      {
        details: { ...details, reason: 'invalid_response' },
      },
    );
  }
  const code = ERROR_CODES[oauthError] ?? 'WRIT_IDENTITY_INVALID';
  throw new WritError(code, `${what} refused the request: ${oauthError}`, {
    details: { ...details, reason: 'oauth_error', ...extra },
  });
}

/**
 * Splits an OAuth `scope` value (space-separated) into its items.
 *
 * @internal
 * @example
 * ```ts
 * splitScope('orders:read  payments:refund'); // ['orders:read', 'payments:refund']
 * ```
 */
export function splitScope(scope: string): string[] {
  return scope.split(' ').filter((item) => item.length > 0);
}

/**
 * A repeatable parameter as a list.
 *
 * @internal
 * @example
 * ```ts
 * many('https://a.example'); // ['https://a.example']
 * ```
 */
export function many(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/**
 * Reads `expires_in` (seconds; a number, or digits as some servers send) into epoch milliseconds, or
 * `undefined` when absent. Anything else is refused.
 *
 * @internal
 * @example
 * ```ts
 * expiresAtFrom(3600, Date.now(), 'token endpoint'); // now + 1 hour
 * ```
 */
export function expiresAtFrom(expiresIn: unknown, now: number, what: string): number | undefined {
  if (expiresIn === undefined || expiresIn === null) return undefined;
  const seconds =
    typeof expiresIn === 'string' && /^\d{1,10}$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw invalidResponse(what, 'expires_in is not a number of seconds');
  }
  return now + Math.floor(seconds * 1000);
}

/**
 * The error for a 2xx answer that breaks the protocol.
 *
 * @internal
 * @example
 * ```ts
 * throw invalidResponse('token endpoint', 'access_token is missing');
 * ```
 */
export function invalidResponse(
  what: string,
  problem: string,
  extra: Record<string, unknown> = {},
): WritError {
  return new WritError('WRIT_IDENTITY_INVALID', `${what} answered an invalid response: ${problem}`, {
    details: { reason: 'invalid_response', problem, ...extra },
  });
}

import { WritError, type WritErrorCode } from '@writ/core';
import { fetchSchema, type JsonResponse, safeUrl, signalSchema, timeoutSchema } from '@writ/core/internal';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { answerOf, type HttpBounds, httpOptions } from './oauth-transport.js';

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
 * zod shape of the options every OAuth call of a public client or a confidential one takes: who the client
 * is, how it authenticates, and how the exchange is bounded. Pair it with {@link refineClientAuth}.
 *
 * @internal
 * @example
 * ```ts
 * const optionsSchema = z.strictObject({ revocationEndpoint: endpointUrl(), ...clientOptionsShape }).superRefine(refineClientAuth);
 * ```
 */
export const clientOptionsShape = {
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  clientAuth: clientAuthSchema.optional(),
  fetch: fetchSchema.optional(),
  signal: signalSchema.optional(),
  timeoutMs: timeoutSchema.optional(),
};

/**
 * zod refinement adding {@link clientAuthProblem} as an issue on `clientAuth`.
 *
 * @internal
 * @example
 * ```ts
 * z.strictObject(clientOptionsShape).superRefine(refineClientAuth);
 * ```
 */
export function refineClientAuth(
  options: { clientAuth?: ClientAuthMethod | undefined; clientSecret?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  const problem = clientAuthProblem(options.clientAuth, options.clientSecret);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['clientAuth'], message: problem });
}

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

/** OAuth error codes and the Writ code each maps to; others are `WRIT_IDENTITY_INVALID`. */
const ERROR_CODES: Readonly<Record<string, WritErrorCode>> = Object.freeze({
  invalid_scope: 'WRIT_SCOPE_EXCEEDED',
  server_error: 'WRIT_IDENTITY_UNAVAILABLE',
  temporarily_unavailable: 'WRIT_IDENTITY_UNAVAILABLE',
});

/**
 * A client of one authorization server endpoint: who it is, how it authenticates, and the values that
 * must never appear in an error.
 *
 * @internal
 * @example
 * ```ts
 * const client: OAuthClient = { clientId: 'agent', clientSecret, timeoutMs: 5000, what: 'token endpoint' };
 * ```
 */
export interface OAuthClient extends Omit<HttpBounds, 'maxBytes'> {
  clientId: string;
  clientSecret?: string | undefined;
  /** @default 'client_secret_basic' with a secret, 'none' without */
  clientAuth?: ClientAuthMethod | undefined;
  /** Values that must never appear in an error (tokens sent in the form); the client secret is added. */
  secrets?: readonly (string | undefined)[] | undefined;
}

function clientAuthentication(client: OAuthClient): oauth.ClientAuth {
  const method = client.clientAuth ?? (client.clientSecret === undefined ? 'none' : 'client_secret_basic');
  if (method === 'none') return oauth.None();
  const secret = client.clientSecret ?? '';
  return method === 'client_secret_post' ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret);
}

/**
 * Judges an answer before oauth4webapi reads it, so every endpoint fails the same way: 5xx and 429 are
 * `WRIT_IDENTITY_UNAVAILABLE` (reason `http_status`), a redirect is refused (reason `redirect`), another
 * non-2xx is an OAuth error (RFC 6749 §5.2: `details.error`, mapped by {@link ERROR_CODES}, reason
 * `oauth_error`) or else reason `invalid_response`. An `error_description` quoting a secret is dropped.
 * A 2xx must carry a JSON object unless `expectJson` is false.
 */
function judge(answer: JsonResponse, endpoint: string, client: OAuthClient, expectJson: boolean): void {
  const { status, json, empty } = answer;
  const { what } = client;
  const details = { endpoint: safeUrl(endpoint), status };
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  if (status >= 200 && status < 300) {
    if (!expectJson) return;
    if (empty) throw invalidResponse(what, 'the body is empty', details);
    if (isObject) return;
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
    const secrets = [client.clientSecret, ...(client.secrets ?? [])].filter(
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
  throw new WritError(
    ERROR_CODES[oauthError] ?? 'WRIT_IDENTITY_INVALID',
    `${what} refused the request: ${oauthError}`,
    {
      details: { ...details, reason: 'oauth_error', ...extra },
    },
  );
}

/**
 * The `WritError` for what oauth4webapi refused in a 2xx answer (a missing or mistyped member, an
 * unsupported `token_type`): `WRIT_IDENTITY_INVALID`, reason `invalid_response`. oauth4webapi's error is
 * not kept as `cause`: it carries the response body, tokens included.
 */
function refusedAnswer(error: unknown, what: string, answer: JsonResponse, endpoint: string): WritError {
  if (error instanceof oauth.OperationProcessingError || error instanceof oauth.UnsupportedOperationError) {
    return invalidResponse(what, error.message.replaceAll('"', ''), {
      endpoint: safeUrl(endpoint),
      status: answer.status,
    });
  }
  return WritError.isInstance(error) ? error : new WritError('WRIT_INTERNAL', `${what}: ${String(error)}`);
}

/**
 * An RFC 6749 token request (`grant_type` plus `parameters`) sent by oauth4webapi with client
 * authentication, judged like every OAuth answer (see `judge`), then checked by oauth4webapi: status
 * 200, `access_token`, `token_type` (`bearer`, `dpop`, or one of `recognizedTokenTypes`; lowercased),
 * `expires_in` a non-negative number (digits in a string are read), `scope` a string. Returns the
 * checked body.
 *
 * @internal
 * @example
 * ```ts
 * const body = await requestToken({ issuer, token_endpoint: tokenEndpoint }, 'client_credentials', form, client);
 * ```
 */
export async function requestToken(
  server: oauth.AuthorizationServer & { token_endpoint: string },
  grantType: string,
  parameters: URLSearchParams,
  client: OAuthClient,
  recognizedTokenTypes?: oauth.RecognizedTokenTypes,
): Promise<oauth.TokenEndpointResponse> {
  const endpoint = server.token_endpoint;
  const oauthClient = { client_id: client.clientId };
  const response = await oauth.genericTokenEndpointRequest(
    server,
    oauthClient,
    clientAuthentication(client),
    grantType,
    parameters,
    httpOptions(endpoint, { ...client, maxBytes: MAX_OAUTH_RESPONSE_BYTES }),
  );
  const answer = answerOf(response);
  judge(answer, endpoint, client, true);
  try {
    return await oauth.processGenericTokenEndpointResponse(server, oauthClient, response, {
      recognizedTokenTypes,
    });
  } catch (error) {
    throw refusedAnswer(error, client.what, answer, endpoint);
  }
}

/**
 * An RFC 7009 revocation request sent by oauth4webapi with client authentication (`parameters` such as
 * `token_type_hint` beside `token`), judged like every OAuth answer; success is HTTP 200 (RFC 7009
 * §2.2), whatever the body.
 *
 * @internal
 * @example
 * ```ts
 * await requestRevocation({ issuer, revocation_endpoint: endpoint }, token, new URLSearchParams(), client);
 * ```
 */
export async function requestRevocation(
  server: oauth.AuthorizationServer & { revocation_endpoint: string },
  token: string,
  parameters: URLSearchParams,
  client: OAuthClient,
): Promise<void> {
  const endpoint = server.revocation_endpoint;
  const response = await oauth.revocationRequest(
    server,
    { client_id: client.clientId },
    clientAuthentication(client),
    token,
    {
      ...httpOptions(endpoint, { ...client, maxBytes: MAX_OAUTH_RESPONSE_BYTES }),
      additionalParameters: parameters,
    },
  );
  const answer = answerOf(response);
  judge(answer, endpoint, client, false);
  try {
    await oauth.processRevocationResponse(response);
  } catch (error) {
    throw refusedAnswer(error, client.what, answer, endpoint);
  }
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

import { WritError } from '@writ/core';
import { type FetchLike, fetchJson, type JsonResponse } from '@writ/core/internal';
import * as oauth from 'oauth4webapi';

/**
 * How one exchange with an authorization server is bounded: `fetch`, time limit, the caller's signal,
 * the largest answer, and what the endpoint is called in messages.
 *
 * @internal
 * @example
 * ```ts
 * const bounds: HttpBounds = { timeoutMs: 5000, maxBytes: 65536, what: 'OIDC discovery' };
 * ```
 */
export interface HttpBounds {
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  maxBytes: number;
  /** What is being called, for messages ("token endpoint", "revocation endpoint"). */
  what: string;
}

/**
 * oauth4webapi transport options: the bounded fetch, and plain http allowed where `endpointUrl` allowed it.
 * @internal
 */
export interface BoundedHttpOptions {
  [oauth.customFetch]: (
    url: string,
    init: oauth.CustomFetchOptions<string, URLSearchParams | undefined>,
  ) => Promise<Response>;
  [oauth.allowInsecureRequests]: boolean;
}

/** What the bounded fetch read, per `Response` it handed to oauth4webapi. */
const answers = new WeakMap<Response, JsonResponse>();

/** Statuses whose `Response` cannot carry a body. */
const NULL_BODY = new Set([204, 205, 304]);

/**
 * oauth4webapi's transport options for a request to `url`, which the caller has already checked with
 * `endpointUrl` (https, or plain http on a loopback host; hence `allowInsecureRequests` for http). Every
 * request goes through `fetchJson`: bounded in time (the caller's signal too) and size, redirects not
 * followed, failures mapped to `WritError`s (`WRIT_ABORTED`, `WRIT_IDENTITY_UNAVAILABLE` with reason
 * `timeout`/`network`, `WRIT_IDENTITY_INVALID` with reason `response_too_large`). What it read is kept
 * for {@link answerOf}.
 *
 * @internal
 * @example
 * ```ts
 * const response = await oauth.discoveryRequest(new URL(issuer), httpOptions(issuer, bounds));
 * ```
 */
export function httpOptions(url: string, bounds: HttpBounds): BoundedHttpOptions {
  return {
    [oauth.customFetch]: async (input, init) => {
      const { body, headers, method } = init;
      const answer = await fetchJson(
        input,
        { body, headers, method },
        {
          fetch: bounds.fetch,
          timeoutMs: bounds.timeoutMs,
          signal: bounds.signal,
          maxBytes: bounds.maxBytes,
          what: bounds.what,
        },
      );
      const text =
        answer.json === undefined || NULL_BODY.has(answer.status) ? null : JSON.stringify(answer.json);
      const response = new Response(text, {
        status: answer.status,
        headers: { 'content-type': 'application/json' },
      });
      answers.set(response, answer);
      return response;
    },
    [oauth.allowInsecureRequests]: new URL(url).protocol === 'http:',
  };
}

/**
 * What the bounded fetch read for a `Response` made by {@link httpOptions}.
 *
 * @internal
 * @example
 * ```ts
 * const { status, json } = answerOf(await oauth.discoveryRequest(new URL(issuer), httpOptions(issuer, bounds)));
 * ```
 */
export function answerOf(response: Response): JsonResponse {
  const answer = answers.get(response);
  if (answer === undefined)
    throw new WritError('WRIT_INTERNAL', 'a response did not come from the bounded fetch');
  return answer;
}

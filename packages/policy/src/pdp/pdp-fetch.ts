import { WritError } from '@writ/core';
import { type FetchLike, fetchJson, type JsonResponse } from '@writ/core/internal';

/**
 * Options of {@link fetchPdpJson}.
 *
 * @internal
 * @example
 * ```ts
 * const options: FetchPdpJsonOptions = { timeoutMs: 1000, maxBytes: 1_048_576, what: 'OPA Data API', signal };
 * ```
 */
export interface FetchPdpJsonOptions {
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly maxBytes: number;
  /** What is being called, for messages (`OPA Data API`, `authzen: AuthZEN evaluation`). */
  readonly what: string;
}

/**
 * One HTTP exchange with a policy decision point: `fetchJson` (bounded in time and size, redirects not
 * followed, the caller's abort is `WRIT_ABORTED`) with every failure of the PDP, unreachable, slow,
 * oversized or unreadable, reported as `WRIT_PDP_UNAVAILABLE`, which the pipeline records as a deny.
 * Statuses are the caller's to judge.
 *
 * @internal
 * @example
 * ```ts
 * const { status, json } = await fetchPdpJson(endpoint, { method: 'POST', headers, body }, { timeoutMs: 1000, maxBytes: 1_048_576, what: 'OPA Data API' });
 * ```
 */
export function fetchPdpJson(
  url: string,
  init: RequestInit,
  options: FetchPdpJsonOptions,
): Promise<JsonResponse> {
  return fetchJson(url, init, {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxBytes: options.maxBytes,
    what: options.what,
    unavailableCode: 'WRIT_PDP_UNAVAILABLE',
    invalidCode: 'WRIT_PDP_UNAVAILABLE',
  });
}

/**
 * The `WRIT_PDP_UNAVAILABLE` error of a remote engine, with `details` (never the PDP's credentials) and
 * the underlying error as `cause` when there is one.
 *
 * @internal
 * @example
 * ```ts
 * throw pdpUnavailable('authzen: mapRequest failed', { reason: 'map_request_failed' }, error);
 * ```
 */
export function pdpUnavailable(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): WritError {
  return new WritError('WRIT_PDP_UNAVAILABLE', message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}

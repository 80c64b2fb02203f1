import { type FetchLike, raceAbort } from '@writ/core/internal';
import { discoverAuthZenPdp } from './authzen-discovery.js';
import type { AuthZenPdpMetadata } from './authzen-types.js';
import { defaultEndpoint } from './pdp-url.js';

/**
 * Options of {@link createAuthZenEndpoints}.
 *
 * @internal
 * @example
 * ```ts
 * const options: AuthZenEndpointsOptions = {
 *   pdp, name: 'authzen', ttlMs: 3_600_000, clock: Date.now, timeoutMs: 1000, maxBytes: 1_048_576,
 *   allowInsecureHttp: false, headers: transport.headers,
 * };
 * ```
 */
export interface AuthZenEndpointsOptions {
  /** The PDP identifier, already checked. */
  readonly pdp: string;
  /** Configured endpoints (already checked): when given, nothing is discovered. */
  readonly endpoints?: { evaluation?: string | undefined; evaluations?: string | undefined } | undefined;
  /** The engine's name, at the start of messages. */
  readonly name: string;
  /** How long discovered metadata is reused; 0 discovers before every request. */
  readonly ttlMs: number;
  readonly clock: () => number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly allowInsecureHttp: boolean;
  readonly fetch?: FetchLike | undefined;
  /** The headers to send with a discovery request (PDP credentials). */
  readonly headers: () => Promise<Headers>;
}

/**
 * The endpoints an AuthZEN engine calls, as a function of the caller's signal: the configured ones
 * (`endpoints`, a missing member at its standard path under `pdp`), or the PDP's metadata, discovered on
 * first use and reused for `ttlMs`. Concurrent callers share one discovery; a failed discovery is not
 * remembered, so the next call tries again. A caller giving up (`WRIT_ABORTED`) leaves a shared discovery
 * running for the others.
 *
 * @internal
 * @example
 * ```ts
 * const endpoints = createAuthZenEndpoints({ pdp, name, ttlMs, clock, timeoutMs, maxBytes, allowInsecureHttp, headers });
 * const { accessEvaluationEndpoint } = await endpoints(signal);
 * ```
 */
export function createAuthZenEndpoints(
  options: AuthZenEndpointsOptions,
): (signal?: AbortSignal) => Promise<AuthZenPdpMetadata> {
  const { pdp, name, ttlMs, clock } = options;
  if (options.endpoints !== undefined) {
    const configured = configuredMetadata(pdp, options.endpoints);
    return () => Promise.resolve(configured);
  }
  let cached: { readonly metadata: AuthZenPdpMetadata; readonly expiresAt: number } | undefined;
  let pending: Promise<AuthZenPdpMetadata> | undefined;

  const discover = (): Promise<AuthZenPdpMetadata> =>
    options
      .headers()
      .then((sent) =>
        discoverAuthZenPdp(pdp, {
          fetch: options.fetch,
          timeoutMs: options.timeoutMs,
          headers: Object.fromEntries(sent),
          allowInsecureHttp: options.allowInsecureHttp,
          maxBytes: options.maxBytes,
        }),
      )
      .then((metadata) => {
        if (ttlMs > 0) cached = { metadata, expiresAt: clock() + ttlMs };
        return metadata;
      })
      .finally(() => {
        pending = undefined;
      });

  return (signal) => {
    if (cached !== undefined && ttlMs > 0 && cached.expiresAt > clock()) {
      return Promise.resolve(cached.metadata);
    }
    pending ??= discover();
    return raceAbort(pending, signal, `${name}: AuthZEN PDP discovery`);
  };
}

/** The metadata of configured endpoints; `document` lists them. */
function configuredMetadata(
  pdp: string,
  endpoints: { evaluation?: string | undefined; evaluations?: string | undefined },
): AuthZenPdpMetadata {
  const evaluation = endpoints.evaluation ?? defaultEndpoint(pdp, '/access/v1/evaluation');
  const evaluations = endpoints.evaluations ?? defaultEndpoint(pdp, '/access/v1/evaluations');
  return Object.freeze({
    policyDecisionPoint: pdp,
    accessEvaluationEndpoint: evaluation,
    accessEvaluationsEndpoint: evaluations,
    document: Object.freeze({
      policy_decision_point: pdp,
      access_evaluation_endpoint: evaluation,
      access_evaluations_endpoint: evaluations,
    }),
  });
}

import { WritError } from '@writ/core';
import {
  type FetchLike,
  fetchSchema,
  formatIssues,
  safeUrl,
  signalSchema,
  timeoutSchema,
  validateOptions,
} from '@writ/core/internal';
import { z } from 'zod';
import { clip } from '../pdp/pdp-answer.js';
import { fetchPdpJson } from '../pdp/pdp-fetch.js';
import { maxResponseBytesSchema, pdpHeadersSchema } from '../pdp/pdp-options.js';
import type { AuthZenPdpMetadata } from './authzen-types.js';
import { pdpUrlProblem, wellKnownUrl } from './pdp-url.js';

/**
 * Defaults of {@link discoverAuthZenPdp}.
 *
 * @internal
 * @example
 * ```ts
 * await discoverAuthZenPdp(pdp, { timeoutMs: AUTHZEN_DISCOVERY_DEFAULTS.timeoutMs * 2 });
 * ```
 */
export const AUTHZEN_DISCOVERY_DEFAULTS = Object.freeze({
  /** Time limit of the metadata request. @default 5000 */
  timeoutMs: 5_000,
  /** Largest metadata document accepted, bytes. @default 262144 */
  maxBytes: 256 * 1024,
  /** Accept plain `http` endpoints on non-loopback hosts. @default false */
  allowInsecureHttp: false,
});

/**
 * Options of {@link discoverAuthZenPdp}.
 *
 * @internal
 * @example
 * ```ts
 * const options: DiscoverAuthZenPdpOptions = { timeoutMs: 2000, headers: { authorization: `Bearer ${token}` } };
 * ```
 */
export interface DiscoverAuthZenPdpOptions {
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** @default AUTHZEN_DISCOVERY_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Extra request headers (e.g. `authorization` when the PDP guards its metadata). Never echoed in errors. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Aborts the request (`WRIT_ABORTED`). */
  signal?: AbortSignal | undefined;
  /** @default AUTHZEN_DISCOVERY_DEFAULTS.allowInsecureHttp */
  allowInsecureHttp?: boolean | undefined;
  /** @default AUTHZEN_DISCOVERY_DEFAULTS.maxBytes */
  maxBytes?: number | undefined;
}

const optionsSchema = z.strictObject({
  fetch: fetchSchema.optional(),
  timeoutMs: timeoutSchema.optional(),
  headers: pdpHeadersSchema.optional(),
  signal: signalSchema.optional(),
  allowInsecureHttp: z.boolean().optional(),
  maxBytes: maxResponseBytesSchema.optional(),
});

const documentSchema = z.looseObject({
  policy_decision_point: z.string(),
  access_evaluation_endpoint: z.string(),
  access_evaluations_endpoint: z.string().optional(),
  capabilities: z.array(z.string()).optional(),
});

const WHAT = 'AuthZEN PDP discovery';

/**
 * Reads a PDP's metadata (OpenID AuthZEN Authorization API 1.0 §9) from
 * `/.well-known/authzen-configuration` (inserted between host and path) and checks it: the document's
 * `policy_decision_point` must equal `pdp` exactly (mix-up protection) and every endpoint must be
 * `https` (plain `http` only on loopback hosts unless `allowInsecureHttp`). Any failure is
 * `WRIT_PDP_UNAVAILABLE` with `details.reason` (`timeout`, `network`, `http_status`, `invalid_metadata`,
 * `pdp_mismatch`, `response_too_large`). Not cached: `createAuthZenEngine` keeps its own copy.
 *
 * @internal
 * @example
 * ```ts
 * const metadata = await discoverAuthZenPdp('https://pdp.example.com');
 * metadata.accessEvaluationEndpoint; // 'https://pdp.example.com/access/v1/evaluation'
 * ```
 */
export async function discoverAuthZenPdp(
  pdp: string,
  options: DiscoverAuthZenPdpOptions = {},
): Promise<AuthZenPdpMetadata> {
  const parsed = validateOptions(optionsSchema, options, 'discoverAuthZenPdp');
  const allowInsecureHttp = parsed.allowInsecureHttp ?? AUTHZEN_DISCOVERY_DEFAULTS.allowInsecureHttp;
  const problem =
    typeof pdp === 'string'
      ? pdpUrlProblem(pdp, { allowInsecureHttp, identifier: true })
      : 'must be a string';
  if (problem !== undefined) {
    throw new WritError('WRIT_OPTIONS_INVALID', `discoverAuthZenPdp: pdp ${problem}`, {
      details: { issues: [`pdp: ${problem}`] },
    });
  }
  const url = wellKnownUrl(pdp);
  const headers = new Headers(parsed.headers);
  headers.set('accept', 'application/json');
  const { status, json } = await fetchPdpJson(
    url,
    { method: 'GET', headers },
    {
      fetch: parsed.fetch,
      timeoutMs: parsed.timeoutMs ?? AUTHZEN_DISCOVERY_DEFAULTS.timeoutMs,
      signal: parsed.signal,
      maxBytes: parsed.maxBytes ?? AUTHZEN_DISCOVERY_DEFAULTS.maxBytes,
      what: WHAT,
    },
  );
  const details = { endpoint: safeUrl(url), pdp, status };
  if (status !== 200) {
    throw new WritError('WRIT_PDP_UNAVAILABLE', `${WHAT} for ${pdp} answered HTTP ${status}`, {
      details: { ...details, reason: 'http_status' },
    });
  }
  const result = documentSchema.safeParse(json);
  if (!result.success) {
    const issues = formatIssues(result.error.issues, { root: 'document' });
    throw new WritError('WRIT_PDP_UNAVAILABLE', `${WHAT} for ${pdp} returned invalid metadata`, {
      details: { ...details, reason: 'invalid_metadata', issues },
    });
  }
  const doc = result.data;
  if (doc.policy_decision_point !== pdp) {
    throw new WritError(
      'WRIT_PDP_UNAVAILABLE',
      `${WHAT} for ${pdp} returned metadata for another PDP; policy_decision_point must equal the configured pdp exactly`,
      {
        details: {
          ...details,
          reason: 'pdp_mismatch',
          policyDecisionPoint: clip(doc.policy_decision_point, 200),
        },
      },
    );
  }
  const endpoints: [string, string | undefined][] = [
    ['access_evaluation_endpoint', doc.access_evaluation_endpoint],
    ['access_evaluations_endpoint', doc.access_evaluations_endpoint],
  ];
  const issues = endpoints.flatMap(([name, value]) => {
    const bad = value === undefined ? undefined : pdpUrlProblem(value, { allowInsecureHttp });
    return bad === undefined ? [] : [`${name}: ${bad}`];
  });
  if (issues.length > 0) {
    throw new WritError('WRIT_PDP_UNAVAILABLE', `${WHAT} for ${pdp} returned unusable endpoints`, {
      details: { ...details, reason: 'invalid_metadata', issues },
    });
  }
  return Object.freeze({
    policyDecisionPoint: doc.policy_decision_point,
    accessEvaluationEndpoint: doc.access_evaluation_endpoint,
    accessEvaluationsEndpoint: doc.access_evaluations_endpoint,
    capabilities: doc.capabilities === undefined ? undefined : Object.freeze([...doc.capabilities]),
    document: deepFreeze(structuredClone(json) as Record<string, unknown>),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

import { type Principal, WritError } from '@writ/core';
import { clockSchema, validateOptions } from '@writ/core/internal';
import type { CallOptions, IdentityProvider } from '@writ/core/plugin';
import { z } from 'zod';
import { type JwtBundleSource, jwtBundleSourceSchema } from './jwt-bundle.js';
import { validateJwtSvid } from './jwt-svid.js';
import type { JwtSvidFileSource } from './jwt-svid-file.js';
import { isSpiffeId, parseSpiffeId, trustDomainsSchema } from './spiffe-id.js';
import type { WorkloadApiClient } from './workload-api-client.js';
import type { JwtBundleWatch } from './workload-api-jwt-bundles.js';

/**
 * Default option values of {@link createSpiffeIdentity}.
 *
 * @example
 * ```ts
 * const expected = `spiffe://example.org${SPIFFE_IDENTITY_DEFAULTS.agentPathPrefix}support`;
 * ```
 */
export const SPIFFE_IDENTITY_DEFAULTS = Object.freeze({
  /** Provider name, as shown in composed provider names. @default 'spiffe' */
  name: 'spiffe',
  /** Path prefix of an agent's SPIFFE ID when `agents` has no entry for it. @default '/agent/' */
  agentPathPrefix: '/agent/',
});

/**
 * Options of {@link createSpiffeIdentity}. Give exactly one of `client` or `files`.
 *
 * @example
 * ```ts
 * const options: SpiffeIdentityOptions = { client: createWorkloadApiClient(), audience: 'writ', agents: { support: 'spiffe://example.org/agent/support' } };
 * ```
 */
export interface SpiffeIdentityOptions {
  /** The audience the agent's JWT-SVID is fetched for and validated against. */
  audience: string;
  /** Where JWT-SVIDs and bundles come from: a SPIFFE Workload API client (e.g. a SPIRE agent). */
  client?: WorkloadApiClient | undefined;
  /** Or: a JWT-SVID and bundle written to files by a sidecar. */
  files?: JwtSvidFileSource | undefined;
  /**
   * Agent name → SPIFFE ID. An agent without an entry gets the SVID whose path is `/agent/<name>`, or the
   * workload's only SVID if it has just one. @default {}
   */
  agents?: Readonly<Record<string, string>> | undefined;
  /** Bundles to validate against. @default the source's bundles (the Workload API stream or the bundle file) */
  bundles?: JwtBundleSource | undefined;
  /** Trust domains whose SVIDs are accepted. @default any trust domain with a bundle */
  trustDomains?: readonly string[] | undefined;
  /** Seconds of clock skew tolerated when validating. @default 5 */
  clockToleranceSec?: number | undefined;
  /** Epoch-ms clock used for validation. @default Date.now */
  clock?: (() => number) | undefined;
  /** @default SPIFFE_IDENTITY_DEFAULTS.name */
  name?: string | undefined;
}

/**
 * The agent half of an `IdentityProvider`, backed by SPIFFE JWT-SVIDs. Compose it with a requester verifier.
 *
 * @example
 * ```ts
 * const agents: SpiffeIdentity = createSpiffeIdentity({ client, audience: 'writ' });
 * const principal = await agents.agentIdentity('support', { signal: AbortSignal.timeout(5000) });
 * agents.close();
 * ```
 */
export interface SpiffeIdentity extends Pick<IdentityProvider, 'name' | 'agentIdentity'> {
  /** Stops the bundle watch this provider opened (the client or file source you passed stays open). */
  close(): void;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const optionsSchema = z
  .strictObject({
    audience: z.string().min(1),
    client: z
      .custom<WorkloadApiClient>(
        (v) =>
          isObject(v) && typeof v.fetchJwtSvids === 'function' && typeof v.watchJwtBundles === 'function',
        { message: 'must be a WorkloadApiClient (createWorkloadApiClient)' },
      )
      .optional(),
    files: z
      .custom<JwtSvidFileSource>(
        (v) => isObject(v) && typeof v.current === 'function' && isObject(v.bundles),
        {
          message: 'must be a JwtSvidFileSource (createJwtSvidFileSource)',
        },
      )
      .optional(),
    agents: z
      .record(z.string().min(1), z.string().refine(isSpiffeId, { message: 'invalid SPIFFE ID' }))
      .optional(),
    bundles: jwtBundleSourceSchema.optional(),
    trustDomains: trustDomainsSchema.optional(),
    clockToleranceSec: z.number().min(0).max(3600).optional(),
    clock: clockSchema.optional(),
    name: z.string().min(1).max(256).optional(),
  })
  .refine((o) => (o.client === undefined) !== (o.files === undefined), {
    message: 'give exactly one of "client" (Workload API) or "files" (JWT-SVID file source)',
  });

interface Candidate {
  readonly spiffeId: string;
  readonly token: string;
}

function noSvid(agent: string, message: string, available: readonly string[]): WritError {
  return new WritError('WRIT_IDENTITY_INVALID', `no JWT-SVID for agent "${agent}": ${message}`, {
    details: { reason: 'no_svid_for_agent', agent, available: [...available] },
  });
}

/**
 * Resolves agent workload identity from SPIFFE: obtains the workload's JWT-SVID for `audience` (from the
 * Workload API or from files), validates it with `validateJwtSvid` against the current bundles, and returns
 * the agent `Principal` (`id` = SPIFFE ID, `issuer` = `spiffe://<trust domain>`, `assurance: 'verified'`).
 * Agent name → SPIFFE ID comes from `agents`, else the SVID whose path is `/agent/<name>`, else the
 * workload's only SVID. Compose it with a requester verifier to get a full `IdentityProvider`.
 *
 * @example
 * ```ts
 * const identity = composeIdentity({
 *   requesters: createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'support-app' }),
 *   agents: createSpiffeIdentity({ client: createWorkloadApiClient(), audience: 'writ' }),
 * });
 * ```
 */
export function createSpiffeIdentity(options: SpiffeIdentityOptions): SpiffeIdentity {
  const o = validateOptions(optionsSchema, options, 'createSpiffeIdentity');
  const agents = new Map(
    Object.entries(o.agents ?? {}).map(([name, id]) => [name, parseSpiffeId(id).toString()]),
  );
  const client = o.client;
  const files = o.files;
  const clock = o.clock;
  let watch: JwtBundleWatch | undefined;

  const bundlesFor = async (signal: AbortSignal): Promise<JwtBundleSource> => {
    if (o.bundles !== undefined) return o.bundles;
    if (files !== undefined) return files.bundles;
    watch ??= (client as WorkloadApiClient).watchJwtBundles();
    const current = watch;
    try {
      return await current.ready({ signal });
    } catch (error) {
      // a watch that ended (refused, closed) is dropped so the next call opens a fresh one
      if (!WritError.isInstance(error, 'WRIT_ABORTED') && watch === current) {
        current.close();
        watch = undefined;
      }
      throw error;
    }
  };

  const candidatesFor = async (wanted: string | undefined, signal: AbortSignal): Promise<Candidate[]> => {
    if (files !== undefined) {
      const svid = files.current();
      return [{ spiffeId: svid.spiffeId, token: svid.token }];
    }
    return (client as WorkloadApiClient).fetchJwtSvids({ audience: o.audience, spiffeId: wanted, signal });
  };

  const choose = (agent: string, wanted: string | undefined, candidates: readonly Candidate[]): Candidate => {
    const ids = candidates.map((c) => c.spiffeId);
    if (wanted !== undefined) {
      const match = candidates.find((c) => c.spiffeId === wanted);
      if (match === undefined) throw noSvid(agent, `the workload has no SVID for ${wanted}`, ids);
      return match;
    }
    const path = `${SPIFFE_IDENTITY_DEFAULTS.agentPathPrefix}${agent}`;
    const byPath = candidates.find((c) => parseSpiffeId(c.spiffeId).path === path);
    if (byPath !== undefined) return byPath;
    if (candidates.length === 1) return candidates[0] as Candidate;
    throw noSvid(agent, `none of the workload's SVIDs has the path ${path} and "agents" has no entry`, ids);
  };

  return {
    name: o.name ?? SPIFFE_IDENTITY_DEFAULTS.name,
    async agentIdentity(agent: string, callOptions: CallOptions): Promise<Principal> {
      const signal = callOptions?.signal ?? new AbortController().signal;
      if (signal.aborted)
        throw new WritError('WRIT_ABORTED', 'agent identity aborted', { cause: signal.reason });
      if (typeof agent !== 'string' || agent.length === 0) {
        throw new WritError('WRIT_IDENTITY_INVALID', 'an agent name is required', {
          details: { reason: 'no_agent' },
        });
      }
      const wanted = Object.hasOwn(o.agents ?? {}, agent) ? agents.get(agent) : undefined;
      const [bundles, candidates] = await Promise.all([bundlesFor(signal), candidatesFor(wanted, signal)]);
      const chosen = choose(agent, wanted, candidates);
      const svid = await validateJwtSvid(chosen.token, {
        audience: o.audience,
        bundles,
        trustDomains: o.trustDomains,
        clockToleranceSec: o.clockToleranceSec,
        currentDate: clock === undefined ? undefined : new Date(clock()),
      });
      const id = svid.spiffeId.toString();
      if (id !== chosen.spiffeId) {
        throw new WritError('WRIT_IDENTITY_INVALID', `the SVID for ${chosen.spiffeId} names ${id} in "sub"`, {
          details: { reason: 'spiffe_id_mismatch', agent, expected: chosen.spiffeId, actual: id },
        });
      }
      return Object.freeze({
        kind: 'agent',
        id,
        name: agent,
        issuer: `spiffe://${svid.spiffeId.trustDomain}`,
        assurance: 'verified',
        claims: svid.claims,
      });
    },
    close() {
      watch?.close();
      watch = undefined;
    },
  };
}

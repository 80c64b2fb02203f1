import { WritError } from '@writ/core';
import { functionSchema, timeoutSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import type { JwtBundleSet } from './jwt-bundle.js';
import { createWorkloadApiConnection } from './workload-api-connection.js';
import {
  parseWorkloadApiEndpoint,
  SPIFFE_ENDPOINT_SOCKET,
  type WorkloadApiEndpoint,
} from './workload-api-endpoint.js';
import {
  type JwtBundleWatch,
  type WatchJwtBundlesOptions,
  watchJwtBundles,
} from './workload-api-jwt-bundles.js';
import {
  type FetchedJwtSvid,
  type FetchJwtSvidOptions,
  fetchJwtSvids,
  type RemoteValidateJwtSvidOptions,
  validateJwtSvidRemotely,
} from './workload-api-jwt-svid.js';

/**
 * Default option values of {@link createWorkloadApiClient}.
 *
 * @example
 * ```ts
 * createWorkloadApiClient({ retry: { maxAttempts: WORKLOAD_API_CLIENT_DEFAULTS.retry.maxAttempts * 2 } });
 * ```
 */
export const WORKLOAD_API_CLIENT_DEFAULTS = Object.freeze({
  /** Deadline of each unary call attempt. @default 5000 */
  timeoutMs: 5_000,
  retry: Object.freeze({
    /** Attempts of a unary call (first try included) while the agent answers UNAVAILABLE. @default 4 */
    maxAttempts: 4,
    /** First backoff delay; doubles per attempt, with jitter. Also the stream's first reconnect delay. @default 100 */
    initialDelayMs: 100,
    /** Longest backoff delay (unary retries and stream reconnects). @default 5000 */
    maxDelayMs: 5_000,
  }),
});

/**
 * Options of {@link createWorkloadApiClient}.
 *
 * @example
 * ```ts
 * const options: WorkloadApiClientOptions = { endpoint: 'unix:///run/spire/sockets/agent.sock', timeoutMs: 2000 };
 * ```
 */
export interface WorkloadApiClientOptions {
  /**
   * Workload API address: `unix:///path/to/agent.sock`, `unix:/path`, or `tcp://<ip>:<port>`.
   * @default the `SPIFFE_ENDPOINT_SOCKET` environment variable
   */
  endpoint?: string | undefined;
  /** Environment to read `SPIFFE_ENDPOINT_SOCKET` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Deadline of each unary call attempt, in ms. @default WORKLOAD_API_CLIENT_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Backoff on `UNAVAILABLE`. @default WORKLOAD_API_CLIENT_DEFAULTS.retry */
  retry?:
    | {
        /** @default 4 */
        maxAttempts?: number | undefined;
        /** @default 100 */
        initialDelayMs?: number | undefined;
        /** @default 5000 */
        maxDelayMs?: number | undefined;
      }
    | undefined;
  /** Random source for backoff jitter, returning [0, 1). @default Math.random */
  random?: (() => number) | undefined;
}

/**
 * A SPIFFE Workload API client (JWT-SVID profile).
 *
 * @example
 * ```ts
 * const client: WorkloadApiClient = createWorkloadApiClient({ endpoint: 'unix:///run/spire/sockets/agent.sock' });
 * const svids = await client.fetchJwtSvids({ audience: 'writ' });
 * client.close();
 * ```
 */
export interface WorkloadApiClient {
  /** Where the client connects. */
  readonly endpoint: WorkloadApiEndpoint;
  /** The workload's first (default) JWT-SVID for `audience`, or the one of `spiffeId`. */
  fetchJwtSvid(options: FetchJwtSvidOptions): Promise<FetchedJwtSvid>;
  /** Every JWT-SVID the workload is entitled to, for `audience`. */
  fetchJwtSvids(options: FetchJwtSvidOptions): Promise<FetchedJwtSvid[]>;
  /** Asks the agent to validate a JWT-SVID (the `ValidateJWTSVID` RPC). */
  validateJwtSvid(
    token: string,
    options: RemoteValidateJwtSvidOptions,
  ): Promise<{ spiffeId: string; claims: Record<string, unknown> }>;
  /**
   * Streams the JWT bundles (`FetchJWTBundles`). Every message is the full set: a trust domain missing
   * from a later message has been removed. Reconnects with backoff when the stream breaks.
   */
  watchJwtBundles(
    onUpdate?: (bundles: JwtBundleSet) => void,
    options?: WatchJwtBundlesOptions,
  ): JwtBundleWatch;
  /** Closes every watch and the connection. */
  close(): void;
}

const optionsSchema = z.strictObject({
  endpoint: z.string().min(1).optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  timeoutMs: timeoutSchema.optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(100).optional(),
      initialDelayMs: timeoutSchema.optional(),
      maxDelayMs: timeoutSchema.optional(),
    })
    .optional(),
  random: functionSchema<() => number>().optional(),
});

/**
 * Creates a SPIFFE Workload API client (JWT-SVID profile) over gRPC. The endpoint comes from
 * `options.endpoint` or `SPIFFE_ENDPOINT_SOCKET` (`unix:///path`, `unix:/path`, `tcp://<ip>:<port>`);
 * every call carries the `workload.spiffe.io: true` metadata. Unary calls are retried with exponential
 * backoff and jitter while the agent answers `UNAVAILABLE` (then `WRIT_IDENTITY_UNAVAILABLE`); the bundle
 * stream reconnects. `INVALID_ARGUMENT` and `PERMISSION_DENIED` are never retried (`WRIT_IDENTITY_INVALID`).
 * Options are validated eagerly (`WRIT_OPTIONS_INVALID`); the connection is made lazily.
 *
 * @example
 * ```ts
 * const client = createWorkloadApiClient(); // SPIFFE_ENDPOINT_SOCKET=unix:///run/spire/sockets/agent.sock
 * const { token } = await client.fetchJwtSvid({ audience: 'https://payments.example.com' });
 * const watch = client.watchJwtBundles((bundles) => console.log('trust domains:', bundles.trustDomains()));
 * await watch.ready();
 * client.close();
 * ```
 */
export function createWorkloadApiClient(options: WorkloadApiClientOptions = {}): WorkloadApiClient {
  const parsed = validateOptions(optionsSchema, options, 'createWorkloadApiClient');
  const fromEnv = parsed.endpoint === undefined;
  const rawEndpoint = parsed.endpoint ?? (parsed.env ?? process.env)[SPIFFE_ENDPOINT_SOCKET];
  if (rawEndpoint === undefined || rawEndpoint === '') {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `createWorkloadApiClient: no Workload API endpoint: pass options.endpoint or set ${SPIFFE_ENDPOINT_SOCKET}`,
      { details: { reason: 'no_endpoint' } },
    );
  }
  const endpoint = parseWorkloadApiEndpoint(rawEndpoint, {
    source: fromEnv ? SPIFFE_ENDPOINT_SOCKET : 'createWorkloadApiClient: options.endpoint',
  });
  const initialDelayMs = parsed.retry?.initialDelayMs ?? WORKLOAD_API_CLIENT_DEFAULTS.retry.initialDelayMs;
  const connection = createWorkloadApiConnection(endpoint.target, {
    timeoutMs: parsed.timeoutMs ?? WORKLOAD_API_CLIENT_DEFAULTS.timeoutMs,
    maxAttempts: parsed.retry?.maxAttempts ?? WORKLOAD_API_CLIENT_DEFAULTS.retry.maxAttempts,
    initialDelayMs,
    maxDelayMs: Math.max(
      initialDelayMs,
      parsed.retry?.maxDelayMs ?? WORKLOAD_API_CLIENT_DEFAULTS.retry.maxDelayMs,
    ),
    random: parsed.random ?? Math.random,
  });

  return {
    endpoint,
    fetchJwtSvids: (fetchOptions) => fetchJwtSvids(connection, fetchOptions),
    async fetchJwtSvid(fetchOptions) {
      const svids = await fetchJwtSvids(connection, fetchOptions);
      return svids[0] as FetchedJwtSvid;
    },
    validateJwtSvid: (token, remoteOptions) => validateJwtSvidRemotely(connection, token, remoteOptions),
    watchJwtBundles: (onUpdate, watchOptions) => watchJwtBundles(connection, onUpdate, watchOptions),
    close: () => connection.close(),
  };
}

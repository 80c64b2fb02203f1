import {
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  credentials,
  Metadata,
  type ServiceError,
  type StatusObject,
  status,
} from '@grpc/grpc-js';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { createJwtBundleSet, type JwtBundleSet, parseJwtBundles } from './jwt-bundle.js';
import { parseSpiffeId } from './spiffe-id.js';
import {
  parseWorkloadApiEndpoint,
  SPIFFE_ENDPOINT_SOCKET,
  type WorkloadApiEndpoint,
} from './workload-api-endpoint.js';
import { loadWorkloadApi } from './workload-api-proto.js';

/**
 * The metadata key every Workload API request carries (SSRF hardening, SPIFFE Workload Endpoint spec §3).
 *
 * @example
 * ```ts
 * metadata.set(WORKLOAD_API_HEADER, 'true');
 * ```
 */
export const WORKLOAD_API_HEADER = 'workload.spiffe.io';

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
 * Options of {@link WorkloadApiClient.fetchJwtSvid} and {@link WorkloadApiClient.fetchJwtSvids}.
 *
 * @example
 * ```ts
 * const options: FetchJwtSvidOptions = { audience: 'writ', spiffeId: 'spiffe://example.org/agent/support' };
 * ```
 */
export interface FetchJwtSvidOptions {
  /** The audience(s) the SVID is for (its `aud`). */
  audience: string | readonly string[];
  /** Only the SVID of this identity. @default every identity the workload is entitled to */
  spiffeId?: string | undefined;
  /** Cancels the call (and any retry wait). */
  signal?: AbortSignal | undefined;
}

/**
 * A JWT-SVID as the Workload API returned it. Not yet validated: use `validateJwtSvid` for that.
 *
 * @example
 * ```ts
 * const { spiffeId, token, hint }: FetchedJwtSvid = await client.fetchJwtSvid({ audience: 'writ' });
 * ```
 */
export interface FetchedJwtSvid {
  /** The SPIFFE ID the agent says the SVID is for. */
  readonly spiffeId: string;
  /** The JWT-SVID (compact JWS). */
  readonly token: string;
  /** Operator-set label telling several SVIDs apart, when set. */
  readonly hint?: string | undefined;
}

/**
 * Options of {@link WorkloadApiClient.validateJwtSvid}.
 *
 * @example
 * ```ts
 * const { spiffeId } = await client.validateJwtSvid(token, { audience: 'writ' } satisfies RemoteValidateJwtSvidOptions);
 * ```
 */
export interface RemoteValidateJwtSvidOptions {
  /** The audience of the validating party. */
  audience: string;
  /** Cancels the call (and any retry wait). */
  signal?: AbortSignal | undefined;
}

/**
 * Options of {@link WorkloadApiClient.watchJwtBundles}.
 *
 * @example
 * ```ts
 * client.watchJwtBundles(undefined, { onError: (error) => console.warn(error.code), signal } satisfies WatchJwtBundlesOptions);
 * ```
 */
export interface WatchJwtBundlesOptions {
  /** Receives stream failures (the watch keeps reconnecting unless the failure is final). @default ignore */
  onError?: ((error: WritError) => void) | undefined;
  /** Closes the watch when aborted. */
  signal?: AbortSignal | undefined;
}

/**
 * A live view of the trust bundles the Workload API streams.
 *
 * @example
 * ```ts
 * const watch: JwtBundleWatch = client.watchJwtBundles();
 * await validateJwtSvid(token, { audience: 'writ', bundles: await watch.ready() });
 * watch.close();
 * ```
 */
export interface JwtBundleWatch {
  /** The current bundles; replaced atomically on every stream message. */
  readonly bundles: JwtBundleSet;
  /**
   * Resolves with {@link bundles} once the first message has arrived; rejects if the watch ends first
   * (closed, or refused with INVALID_ARGUMENT / PERMISSION_DENIED) or `signal` aborts.
   */
  ready(options?: { signal?: AbortSignal | undefined }): Promise<JwtBundleSet>;
  /** Stops watching. */
  close(): void;
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

type Callback<T> = (error: ServiceError | null, response?: T) => void;

interface JwtSvidMessage {
  spiffe_id?: string;
  svid?: string;
  hint?: string;
}
interface StructValue {
  kind?: string;
  [field: string]: unknown;
}
interface RawClient extends Client {
  FetchJWTSVID(
    request: { audience: string[]; spiffe_id: string },
    metadata: Metadata,
    options: CallOptions,
    callback: Callback<{ svids?: JwtSvidMessage[] }>,
  ): ClientUnaryCall;
  ValidateJWTSVID(
    request: { audience: string; svid: string },
    metadata: Metadata,
    options: CallOptions,
    callback: Callback<{ spiffe_id?: string; claims?: { fields?: Record<string, StructValue> } }>,
  ): ClientUnaryCall;
  FetchJWTBundles(
    request: Record<string, never>,
    metadata: Metadata,
    options?: CallOptions,
  ): ClientReadableStream<{ bundles?: Record<string, Uint8Array> }>;
}

const fn = <T>() => z.custom<T>((v) => typeof v === 'function', { message: 'must be a function' });
const ms = z.number().int().positive().max(600_000);
const optionsSchema = z.strictObject({
  endpoint: z.string().min(1).optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  timeoutMs: ms.optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(100).optional(),
      initialDelayMs: ms.optional(),
      maxDelayMs: ms.optional(),
    })
    .optional(),
  random: fn<() => number>().optional(),
});
const audienceSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const signalSchema = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
  message: 'must be an AbortSignal',
});
const fetchSchema = z.strictObject({
  audience: audienceSchema,
  spiffeId: z.string().optional(),
  signal: signalSchema.optional(),
});
const validateSchema = z.strictObject({ audience: z.string().min(1), signal: signalSchema.optional() });
const watchSchema = z.strictObject({
  onError: fn<(error: WritError) => void>().optional(),
  signal: signalSchema.optional(),
});

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? String(code);
}

function grpcFailure(
  code: number,
  details: string,
  method: string,
  attempts: number,
  cause?: unknown,
): WritError {
  const name = statusName(code);
  const refused = code === status.INVALID_ARGUMENT || code === status.PERMISSION_DENIED;
  return new WritError(
    refused ? 'WRIT_IDENTITY_INVALID' : 'WRIT_IDENTITY_UNAVAILABLE',
    `SPIFFE Workload API ${method} failed: ${name}${details ? ` (${details})` : ''}${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
    { details: { reason: name.toLowerCase(), grpcCode: name, method, attempts }, cause },
  );
}

function malformed(method: string, message: string): WritError {
  return new WritError('WRIT_IDENTITY_INVALID', `SPIFFE Workload API ${method} returned ${message}`, {
    details: { reason: 'malformed_response', method },
  });
}

function aborted(signal: AbortSignal, cause?: unknown): WritError {
  return new WritError('WRIT_ABORTED', 'Workload API call aborted', { cause: cause ?? signal.reason });
}

function sleep(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function fromStructValue(value: StructValue | undefined): unknown {
  if (value === undefined || value === null) return null;
  switch (value.kind) {
    case 'numberValue':
    case 'stringValue':
    case 'boolValue':
      return value[value.kind];
    case 'structValue':
      return fromStruct(value.structValue as { fields?: Record<string, StructValue> } | undefined);
    case 'listValue':
      return ((value.listValue as { values?: StructValue[] } | undefined)?.values ?? []).map(fromStructValue);
    default:
      return null;
  }
}

function fromStruct(struct: { fields?: Record<string, StructValue> } | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = fromStructValue(value);
  return out;
}

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
  const timeoutMs = parsed.timeoutMs ?? WORKLOAD_API_CLIENT_DEFAULTS.timeoutMs;
  const maxAttempts = parsed.retry?.maxAttempts ?? WORKLOAD_API_CLIENT_DEFAULTS.retry.maxAttempts;
  const initialDelayMs = parsed.retry?.initialDelayMs ?? WORKLOAD_API_CLIENT_DEFAULTS.retry.initialDelayMs;
  const maxDelayMs = Math.max(
    initialDelayMs,
    parsed.retry?.maxDelayMs ?? WORKLOAD_API_CLIENT_DEFAULTS.retry.maxDelayMs,
  );
  const random = parsed.random ?? Math.random;

  const Service = loadWorkloadApi();
  let raw: RawClient | undefined;
  let closed = false;
  const watches = new Set<() => void>();

  const connection = (): RawClient => {
    if (closed) {
      throw new WritError('WRIT_IDENTITY_UNAVAILABLE', 'the Workload API client is closed', {
        details: { reason: 'closed' },
      });
    }
    raw ??= new Service(endpoint.target, credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': initialDelayMs,
      'grpc.max_reconnect_backoff_ms': maxDelayMs,
    }) as unknown as RawClient;
    return raw;
  };

  const headers = (): Metadata => {
    const metadata = new Metadata();
    metadata.set(WORKLOAD_API_HEADER, 'true');
    return metadata;
  };

  /** Exponential backoff with "equal jitter": half the step fixed, half random. */
  const backoff = (attempt: number): number => {
    const step = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
    return Math.round(step / 2 + (random() * step) / 2);
  };

  async function unary<T>(
    method: string,
    signal: AbortSignal | undefined,
    invoke: (
      client: RawClient,
      metadata: Metadata,
      callOptions: CallOptions,
      callback: Callback<T>,
    ) => ClientUnaryCall,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw aborted(signal);
      const client = connection();
      try {
        return await new Promise<T>((resolve, reject) => {
          const onAbort = () => call.cancel();
          const call = invoke(client, headers(), { deadline: Date.now() + timeoutMs }, (error, response) => {
            signal?.removeEventListener('abort', onAbort);
            if (error) reject(error);
            else if (response === undefined) reject(malformed(method, 'no response'));
            else resolve(response);
          });
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      } catch (error) {
        if (signal?.aborted) throw aborted(signal, error);
        if (WritError.isInstance(error)) throw error;
        if (!isServiceError(error)) {
          throw new WritError('WRIT_IDENTITY_UNAVAILABLE', `SPIFFE Workload API ${method} failed`, {
            details: { reason: 'unknown', method, attempts: attempt },
            cause: error,
          });
        }
        if (error.code === status.UNAVAILABLE && attempt < maxAttempts && !closed) {
          await sleep(backoff(attempt - 1), signal);
          continue;
        }
        throw grpcFailure(error.code, error.details, method, attempt, error);
      }
    }
  }

  async function fetchJwtSvids(fetchOptions: FetchJwtSvidOptions): Promise<FetchedJwtSvid[]> {
    const o = validateOptions(fetchSchema, fetchOptions, 'fetchJwtSvid');
    const wanted = o.spiffeId === undefined ? undefined : parseSpiffeId(o.spiffeId).toString();
    const request = {
      audience: typeof o.audience === 'string' ? [o.audience] : [...o.audience],
      spiffe_id: wanted ?? '',
    };
    const response = await unary<{ svids?: JwtSvidMessage[] }>(
      'FetchJWTSVID',
      o.signal,
      (client, md, co, cb) => client.FetchJWTSVID(request, md, co, cb),
    );
    const svids = response.svids ?? [];
    if (svids.length === 0) throw malformed('FetchJWTSVID', 'no JWT-SVID');
    return svids.map((svid) => {
      if (typeof svid.svid !== 'string' || svid.svid.length === 0)
        throw malformed('FetchJWTSVID', 'an empty JWT-SVID');
      let spiffeId: string;
      try {
        spiffeId = parseSpiffeId(svid.spiffe_id).toString();
      } catch (error) {
        throw new WritError(
          'WRIT_IDENTITY_INVALID',
          'SPIFFE Workload API FetchJWTSVID returned an invalid SPIFFE ID',
          {
            details: { reason: 'malformed_response', method: 'FetchJWTSVID' },
            cause: error,
          },
        );
      }
      if (wanted !== undefined && spiffeId !== wanted) {
        throw new WritError(
          'WRIT_IDENTITY_INVALID',
          `asked for ${wanted}, the Workload API answered ${spiffeId}`,
          {
            details: { reason: 'unexpected_spiffe_id', method: 'FetchJWTSVID' },
          },
        );
      }
      return Object.freeze({ spiffeId, token: svid.svid, hint: svid.hint ? svid.hint : undefined });
    });
  }

  function watchJwtBundles(
    onUpdate?: (bundles: JwtBundleSet) => void,
    watchOptions: WatchJwtBundlesOptions = {},
  ): JwtBundleWatch {
    if (onUpdate !== undefined && typeof onUpdate !== 'function') {
      throw new WritError('WRIT_OPTIONS_INVALID', 'watchJwtBundles: onUpdate must be a function');
    }
    const o = validateOptions(watchSchema, watchOptions, 'watchJwtBundles');
    const bundles = createJwtBundleSet();
    const waiters = new Set<{ resolve: (set: JwtBundleSet) => void; reject: (error: WritError) => void }>();
    let stream: ClientReadableStream<{ bundles?: Record<string, Uint8Array> }> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let received = false;
    let ended: WritError | undefined;
    let lastError: WritError | undefined;

    const report = (error: WritError) => {
      lastError = error;
      try {
        o.onError?.(error);
      } catch {
        // a throwing error handler must not break the watch
      }
    };
    const notify = () => {
      for (const waiter of waiters) waiter.resolve(bundles);
      waiters.clear();
      try {
        onUpdate?.(bundles);
      } catch (error) {
        report(new WritError('WRIT_INTERNAL', 'watchJwtBundles: onUpdate threw', { cause: error }));
      }
    };
    const finish = (error: WritError) => {
      if (ended !== undefined) return;
      ended = error;
      clearTimeout(timer);
      watches.delete(stop);
      stream?.cancel();
      o.signal?.removeEventListener('abort', stop);
      for (const waiter of waiters) waiter.reject(error);
      waiters.clear();
    };
    function stop() {
      finish(
        new WritError('WRIT_IDENTITY_UNAVAILABLE', 'the JWT bundle watch was closed', {
          details: { reason: 'closed' },
        }),
      );
    }

    const onStatus = (final: StatusObject) => {
      if (ended !== undefined) return;
      if (final.code === status.INVALID_ARGUMENT || final.code === status.PERMISSION_DENIED) {
        const error = grpcFailure(final.code, final.details, 'FetchJWTBundles', failures + 1);
        if (final.code === status.PERMISSION_DENIED && bundles.size > 0) {
          bundles.replace([]);
          notify();
        }
        report(error);
        finish(error);
        return;
      }
      report(
        grpcFailure(
          final.code === status.OK ? status.UNAVAILABLE : final.code,
          final.details || 'stream ended',
          'FetchJWTBundles',
          failures + 1,
        ),
      );
      const delay = backoff(failures++);
      timer = setTimeout(connect, delay);
    };

    function connect() {
      if (ended !== undefined) return;
      let call: ClientReadableStream<{ bundles?: Record<string, Uint8Array> }>;
      try {
        call = connection().FetchJWTBundles({}, headers());
      } catch (error) {
        finish(
          WritError.isInstance(error)
            ? error
            : new WritError('WRIT_IDENTITY_UNAVAILABLE', 'cannot open the bundle stream', { cause: error }),
        );
        return;
      }
      stream = call;
      call.on('data', (message: { bundles?: Record<string, Uint8Array> }) => {
        if (ended !== undefined) return;
        failures = 0;
        try {
          const next = parseJwtBundles(message.bundles ?? {});
          if (next.length === 0) throw malformed('FetchJWTBundles', 'no bundles');
          bundles.replace(next);
        } catch (error) {
          // spec: report and discard a malformed message; the previous bundles stay in force
          report(
            WritError.isInstance(error)
              ? error
              : new WritError('WRIT_IDENTITY_INVALID', 'unreadable bundles', { cause: error }),
          );
          return;
        }
        received = true;
        notify();
      });
      call.on('error', () => {
        // the final status arrives on 'status'; this listener keeps the error from being thrown
      });
      call.on('status', onStatus);
    }

    watches.add(stop);
    if (o.signal?.aborted) stop();
    else {
      o.signal?.addEventListener('abort', stop, { once: true });
      connect();
    }

    return {
      bundles,
      ready(readyOptions = {}) {
        if (received) return Promise.resolve(bundles);
        if (ended !== undefined) return Promise.reject(ended);
        const signal = readyOptions.signal;
        if (signal?.aborted) return Promise.reject(aborted(signal, lastError));
        return new Promise<JwtBundleSet>((resolve, reject) => {
          const waiter = {
            resolve: (set: JwtBundleSet) => {
              signal?.removeEventListener('abort', onAbort);
              resolve(set);
            },
            reject: (error: WritError) => {
              signal?.removeEventListener('abort', onAbort);
              reject(error);
            },
          };
          const onAbort = () => {
            waiters.delete(waiter);
            reject(aborted(signal as AbortSignal, lastError));
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          waiters.add(waiter);
        });
      },
      close: stop,
    };
  }

  return {
    endpoint,
    fetchJwtSvids,
    async fetchJwtSvid(fetchOptions) {
      const svids = await fetchJwtSvids(fetchOptions);
      return svids[0] as FetchedJwtSvid;
    },
    async validateJwtSvid(token, validateOptionsArg) {
      const o = validateOptions(validateSchema, validateOptionsArg, 'validateJwtSvid');
      if (typeof token !== 'string' || token.length === 0) {
        throw new WritError('WRIT_TOKEN_INVALID', 'JWT-SVID refused: no token was presented', {
          details: { token: 'JWT-SVID', reason: 'not_a_token' },
        });
      }
      const response = await unary<{ spiffe_id?: string; claims?: { fields?: Record<string, StructValue> } }>(
        'ValidateJWTSVID',
        o.signal,
        (client, md, co, cb) => client.ValidateJWTSVID({ audience: o.audience, svid: token }, md, co, cb),
      );
      let spiffeId: string;
      try {
        spiffeId = parseSpiffeId(response.spiffe_id).toString();
      } catch (error) {
        throw new WritError(
          'WRIT_IDENTITY_INVALID',
          'SPIFFE Workload API ValidateJWTSVID returned an invalid SPIFFE ID',
          {
            details: { reason: 'malformed_response', method: 'ValidateJWTSVID' },
            cause: error,
          },
        );
      }
      return { spiffeId, claims: fromStruct(response.claims) };
    },
    watchJwtBundles,
    close() {
      if (closed) return;
      for (const stop of [...watches]) stop();
      closed = true;
      raw?.close();
    },
  };
}

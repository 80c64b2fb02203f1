import type {
  CallOptions,
  Client,
  ClientReadableStream,
  ClientUnaryCall,
  Metadata,
  ServiceError,
} from '@grpc/grpc-js';
import { WritError } from '@writ/core';
import { GRPC_STATUS, loadWorkloadApiGrpc, type WorkloadApiGrpc } from './workload-api-grpc.js';

/**
 * The metadata key every Workload API request carries (SSRF hardening, SPIFFE Workload Endpoint spec §3).
 *
 * @example
 * ```ts
 * metadata.set(WORKLOAD_API_HEADER, 'true');
 * ```
 * @internal
 */
export const WORKLOAD_API_HEADER = 'workload.spiffe.io';

/** A gRPC unary callback. @internal */
export type UnaryCallback<T> = (error: ServiceError | null, response?: T) => void;

/** `JWTSVID` as the Workload API sends it (proto field names kept). @internal */
export interface JwtSvidMessage {
  spiffe_id?: string;
  svid?: string;
  hint?: string;
}

/** A `google.protobuf.Value` as proto-loader decodes it (`oneofs: true` names the set field in `kind`). @internal */
export interface StructValue {
  kind?: string;
  [field: string]: unknown;
}

/** A `google.protobuf.Struct` as proto-loader decodes it. @internal */
export interface StructMessage {
  fields?: Record<string, StructValue>;
}

/** `JWTBundlesResponse`: trust domain ID → JWKS bytes. @internal */
export interface JwtBundlesMessage {
  bundles?: Record<string, Uint8Array>;
}

/**
 * The generated `SpiffeWorkloadAPI` client, JWT-SVID profile methods only.
 *
 * @example
 * ```ts
 * const stream = connection.client().FetchJWTBundles({}, connection.metadata());
 * ```
 * @internal
 */
export interface WorkloadApiStub extends Client {
  FetchJWTSVID(
    request: { audience: string[]; spiffe_id: string },
    metadata: Metadata,
    options: CallOptions,
    callback: UnaryCallback<{ svids?: JwtSvidMessage[] }>,
  ): ClientUnaryCall;
  ValidateJWTSVID(
    request: { audience: string; svid: string },
    metadata: Metadata,
    options: CallOptions,
    callback: UnaryCallback<{ spiffe_id?: string; claims?: StructMessage }>,
  ): ClientUnaryCall;
  FetchJWTBundles(
    request: Record<string, never>,
    metadata: Metadata,
    options?: CallOptions,
  ): ClientReadableStream<JwtBundlesMessage>;
}

/**
 * Starts one unary call on the stub with the Workload API metadata and call options.
 * @internal
 */
export type UnaryInvoke<T> = (
  client: WorkloadApiStub,
  metadata: Metadata,
  callOptions: CallOptions,
  callback: UnaryCallback<T>,
) => ClientUnaryCall;

/**
 * Settings of {@link createWorkloadApiConnection}, defaults already applied.
 *
 * @example
 * ```ts
 * const settings: WorkloadApiConnectionSettings = { timeoutMs: 5000, maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 5000, random: Math.random };
 * ```
 * @internal
 */
export interface WorkloadApiConnectionSettings {
  /** Deadline of each unary call attempt, ms. */
  readonly timeoutMs: number;
  /** Attempts of a unary call (first try included) while the agent answers UNAVAILABLE. */
  readonly maxAttempts: number;
  /** First backoff delay, ms; doubles per attempt. */
  readonly initialDelayMs: number;
  /** Longest backoff delay, ms. */
  readonly maxDelayMs: number;
  /** Random source for jitter, returning [0, 1). */
  readonly random: () => number;
}

/**
 * The gRPC side of a Workload API client: gRPC loaded and the channel dialled on first use, the security
 * header, backoff, and unary calls retried while the agent answers `UNAVAILABLE`. Streams register here
 * to be stopped on close.
 *
 * @example
 * ```ts
 * const connection = createWorkloadApiConnection('unix:/run/spire/agent.sock', settings);
 * const answer = await connection.unary('FetchJWTSVID', signal, (client, md, co, cb) => client.FetchJWTSVID(request, md, co, cb));
 * connection.close();
 * ```
 * @internal
 */
export interface WorkloadApiConnection {
  /** Whether {@link close} was called. */
  readonly closed: boolean;
  /**
   * The stub: gRPC loaded and the channel dialled on first use. Rejects with `WRIT_IDENTITY_UNAVAILABLE`
   * (reason `closed`) after close, (reason `grpc_missing`) when the gRPC packages are not installed.
   */
  client(): Promise<WorkloadApiStub>;
  /** Fresh metadata carrying `workload.spiffe.io: true` (loads gRPC on first use, as {@link client}). */
  metadata(): Promise<Metadata>;
  /** Delay before retry `attempt` (0-based): exponential, capped, with "equal jitter". */
  backoff(attempt: number): number;
  /**
   * Runs a unary call with the per-attempt deadline, retrying `UNAVAILABLE` with backoff up to
   * `maxAttempts`; gRPC failures become `WritError`s (see {@link grpcFailure}), an abort `WRIT_ABORTED`.
   */
  unary<T>(method: string, signal: AbortSignal | undefined, invoke: UnaryInvoke<T>): Promise<T>;
  /** Registers a stream's stop function, called on close; returns the function that unregisters it. */
  track(stop: () => void): () => void;
  /** Stops every tracked stream, then closes the channel. Idempotent. */
  close(): void;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

const STATUS_NAMES = new Map<number, string>(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]));

function statusName(code: number): string {
  return STATUS_NAMES.get(code) ?? String(code);
}

/**
 * The `WritError` for a failed Workload API call: `INVALID_ARGUMENT` and `PERMISSION_DENIED` are refusals
 * (`WRIT_IDENTITY_INVALID`), anything else `WRIT_IDENTITY_UNAVAILABLE`; `details.reason` is the status
 * name in lower case.
 *
 * @example
 * ```ts
 * grpcFailure(GRPC_STATUS.UNAVAILABLE, 'connect failed', 'FetchJWTSVID', 4).details.reason; // 'unavailable'
 * ```
 * @internal
 */
export function grpcFailure(
  code: number,
  details: string,
  method: string,
  attempts: number,
  cause?: unknown,
): WritError {
  const name = statusName(code);
  const refused = code === GRPC_STATUS.INVALID_ARGUMENT || code === GRPC_STATUS.PERMISSION_DENIED;
  return new WritError(
    refused ? 'WRIT_IDENTITY_INVALID' : 'WRIT_IDENTITY_UNAVAILABLE',
    `SPIFFE Workload API ${method} failed: ${name}${details ? ` (${details})` : ''}${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
    { details: { reason: name.toLowerCase(), grpcCode: name, method, attempts }, cause },
  );
}

/**
 * The `WritError` for an answer that breaks the protocol (reason `malformed_response`).
 *
 * @example
 * ```ts
 * throw malformed('FetchJWTSVID', 'no JWT-SVID');
 * ```
 * @internal
 */
export function malformed(method: string, message: string, cause?: unknown): WritError {
  return new WritError('WRIT_IDENTITY_INVALID', `SPIFFE Workload API ${method} returned ${message}`, {
    details: { reason: 'malformed_response', method },
    cause,
  });
}

/**
 * The `WritError` for a call the caller's signal stopped.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw aborted(signal);
 * ```
 * @internal
 */
export function aborted(signal: AbortSignal, cause?: unknown): WritError {
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

/**
 * Opens (lazily) the gRPC channel to a Workload API `target` (`unix:/path` or `host:port`, see
 * `parseWorkloadApiEndpoint`). gRPC (an optional peer dependency) and `workload.proto` are loaded on the
 * first call, never at creation: a missing package fails that call with a typed error naming what to
 * install (`load` replaces the loader in tests).
 *
 * @example
 * ```ts
 * const connection = createWorkloadApiConnection(endpoint.target, {
 *   timeoutMs: 5000, maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 5000, random: Math.random,
 * });
 * ```
 * @internal
 */
export function createWorkloadApiConnection(
  target: string,
  settings: WorkloadApiConnectionSettings,
  load: () => Promise<WorkloadApiGrpc> = loadWorkloadApiGrpc,
): WorkloadApiConnection {
  const { timeoutMs, maxAttempts, initialDelayMs, maxDelayMs, random } = settings;
  let stub: WorkloadApiStub | undefined;
  let closed = false;
  const streams = new Set<() => void>();

  const refuseClosed = () => {
    if (closed) {
      throw new WritError('WRIT_IDENTITY_UNAVAILABLE', 'the Workload API client is closed', {
        details: { reason: 'closed' },
      });
    }
  };

  const client = async (): Promise<WorkloadApiStub> => {
    refuseClosed();
    const { grpc, Service } = await load();
    refuseClosed(); // closed while gRPC was loading
    stub ??= new Service(target, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': initialDelayMs,
      'grpc.max_reconnect_backoff_ms': maxDelayMs,
    }) as unknown as WorkloadApiStub;
    return stub;
  };

  const metadata = async (): Promise<Metadata> => {
    const { grpc } = await load();
    const md = new grpc.Metadata();
    md.set(WORKLOAD_API_HEADER, 'true');
    return md;
  };

  /** Exponential backoff with "equal jitter": half the step fixed, half random. */
  const backoff = (attempt: number): number => {
    const step = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
    return Math.round(step / 2 + (random() * step) / 2);
  };

  async function unary<T>(
    method: string,
    signal: AbortSignal | undefined,
    invoke: UnaryInvoke<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw aborted(signal);
      const [stubNow, md] = await Promise.all([client(), metadata()]);
      if (signal?.aborted) throw aborted(signal);
      try {
        return await new Promise<T>((resolve, reject) => {
          const onAbort = () => call.cancel();
          const call = invoke(stubNow, md, { deadline: Date.now() + timeoutMs }, (error, response) => {
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
        if (error.code === GRPC_STATUS.UNAVAILABLE && attempt < maxAttempts && !closed) {
          await sleep(backoff(attempt - 1), signal);
          continue;
        }
        throw grpcFailure(error.code, error.details, method, attempt, error);
      }
    }
  }

  return {
    get closed() {
      return closed;
    },
    client,
    metadata,
    backoff,
    unary,
    track(stop) {
      streams.add(stop);
      return () => streams.delete(stop);
    },
    close() {
      if (closed) return;
      for (const stop of [...streams]) stop();
      closed = true;
      stub?.close();
    },
  };
}

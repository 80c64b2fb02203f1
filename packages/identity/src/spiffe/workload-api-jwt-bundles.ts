import type { ClientReadableStream, StatusObject } from '@grpc/grpc-js';
import { WritError } from '@writ/core';
import { functionSchema, signalSchema, validateOptions } from '@writ/core/internal';
import { toWritError } from '@writ/core/plugin';
import { z } from 'zod';
import { createJwtBundleSet, type JwtBundleSet, parseJwtBundles } from './jwt-bundle.js';
import {
  aborted,
  grpcFailure,
  type JwtBundlesMessage,
  malformed,
  type WorkloadApiConnection,
} from './workload-api-connection.js';
import { GRPC_STATUS } from './workload-api-grpc.js';

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

const watchSchema = z.strictObject({
  onError: functionSchema<(error: WritError) => void>().optional(),
  signal: signalSchema.optional(),
});

const METHOD = 'FetchJWTBundles';

interface Waiter {
  resolve(set: JwtBundleSet): void;
  reject(error: WritError): void;
}

/**
 * `FetchJWTBundles` as a watch: every message replaces the whole bundle set (a trust domain missing
 * from a message is removed); a malformed message is reported and discarded; a broken stream is
 * reported and reopened with the connection's backoff; `INVALID_ARGUMENT` and `PERMISSION_DENIED` end
 * the watch (the latter also drops every bundle). The watch stops on `close()`, on `signal` and when
 * the connection closes.
 *
 * @example
 * ```ts
 * const watch = watchJwtBundles(connection, (set) => console.log(set.trustDomains()), { onError: console.warn });
 * await watch.ready();
 * ```
 * @internal
 */
export function watchJwtBundles(
  connection: WorkloadApiConnection,
  onUpdate?: (bundles: JwtBundleSet) => void,
  options: WatchJwtBundlesOptions = {},
): JwtBundleWatch {
  if (onUpdate !== undefined && typeof onUpdate !== 'function') {
    throw new WritError('WRIT_OPTIONS_INVALID', 'watchJwtBundles: onUpdate must be a function');
  }
  const o = validateOptions(watchSchema, options, 'watchJwtBundles');
  const bundles = createJwtBundleSet();
  const waiters = new Set<Waiter>();
  let stream: ClientReadableStream<JwtBundlesMessage> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let untrack: () => void = () => undefined;
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
    untrack();
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

  const onMessage = (message: JwtBundlesMessage) => {
    if (ended !== undefined) return;
    failures = 0;
    try {
      const next = parseJwtBundles(message.bundles ?? {});
      if (next.length === 0) throw malformed(METHOD, 'no bundles');
      bundles.replace(next);
    } catch (error) {
      // spec: report and discard a malformed message; the previous bundles stay in force
      report(toWritError(error, 'WRIT_IDENTITY_INVALID', 'unreadable bundles'));
      return;
    }
    received = true;
    notify();
  };

  const onStatus = (final: StatusObject) => {
    if (ended !== undefined) return;
    if (final.code === GRPC_STATUS.INVALID_ARGUMENT || final.code === GRPC_STATUS.PERMISSION_DENIED) {
      const error = grpcFailure(final.code, final.details, METHOD, failures + 1);
      if (final.code === GRPC_STATUS.PERMISSION_DENIED && bundles.size > 0) {
        bundles.replace([]);
        notify();
      }
      report(error);
      finish(error);
      return;
    }
    report(
      grpcFailure(
        final.code === GRPC_STATUS.OK ? GRPC_STATUS.UNAVAILABLE : final.code,
        final.details || 'stream ended',
        METHOD,
        failures + 1,
      ),
    );
    timer = setTimeout(() => void connect(), connection.backoff(failures++));
  };

  async function connect() {
    if (ended !== undefined) return;
    let call: ClientReadableStream<JwtBundlesMessage>;
    try {
      const [client, metadata] = await Promise.all([connection.client(), connection.metadata()]);
      if (ended !== undefined) return; // stopped while gRPC was loading
      call = client.FetchJWTBundles({}, metadata);
    } catch (error) {
      finish(toWritError(error, 'WRIT_IDENTITY_UNAVAILABLE', 'cannot open the bundle stream'));
      return;
    }
    stream = call;
    call.on('data', onMessage);
    call.on('error', () => {
      // the final status arrives on 'status'; this listener keeps the error from being thrown
    });
    call.on('status', onStatus);
  }

  untrack = connection.track(stop);
  if (o.signal?.aborted) stop();
  else {
    o.signal?.addEventListener('abort', stop, { once: true });
    void connect();
  }

  return {
    bundles,
    ready(readyOptions = {}) {
      if (received) return Promise.resolve(bundles);
      if (ended !== undefined) return Promise.reject(ended);
      const signal = readyOptions.signal;
      if (signal?.aborted) return Promise.reject(aborted(signal, lastError));
      return new Promise<JwtBundleSet>((resolve, reject) => {
        const waiter: Waiter = {
          resolve: (set) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(set);
          },
          reject: (error) => {
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

import { z } from 'zod';
import { WritError, type WritErrorCode } from './errors.js';
import { functionSchema, lazySchema } from './schemas.js';

/**
 * The part of the Fetch API Writ's HTTP clients (OIDC, AuthZEN, OPA) use. `globalThis.fetch`, undici's `fetch` and test doubles
 * all fit.
 *
 * @example
 * ```ts
 * const viaProxy: FetchLike = (url, init) => undiciFetch(url, { ...init, dispatcher: proxyAgent });
 * createOidcRequesterVerifier({ issuer, audience, fetch: viaProxy });
 * ```
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * zod schema of a `fetch` option.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const clientOptions = z.strictObject({ url: z.string(), fetch: fetchSchema.optional() });
 * const { url, fetch } = validateOptions(clientOptions, options, 'createPdpClient');
 * ```
 */
export const fetchSchema = lazySchema(() => functionSchema<FetchLike>('must be a fetch function'));

/**
 * zod schema of a `signal` option.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const verifyOptions = z.strictObject({ audience: z.string(), signal: signalSchema.optional() });
 * const { signal } = validateOptions(verifyOptions, options, 'verifyToken');
 * ```
 */
export const signalSchema = lazySchema(() =>
  z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'must be an AbortSignal' }),
);

/**
 * zod schema of a `clock` option (epoch milliseconds).
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const cacheOptions = z.strictObject({ ttlMs: timeoutSchema, clock: clockSchema.optional() });
 * const { clock = Date.now } = validateOptions(cacheOptions, options, 'createJwksCache');
 * ```
 */
export const clockSchema = lazySchema(() => functionSchema<() => number>());

/**
 * zod schema of a `timeoutMs` option: a positive integer of milliseconds, at most ten minutes.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const clientOptions = z.strictObject({ url: z.string(), timeoutMs: timeoutSchema.optional() });
 * const { timeoutMs = 2_000 } = validateOptions(clientOptions, options, 'createPdpClient');
 * ```
 */
export const timeoutSchema = lazySchema(() => z.number().int().positive().max(600_000));

/**
 * Options of `fetchJson`.
 *
 * @example
 * ```ts
 * const options: FetchJsonOptions = {
 *   timeoutMs: 2_000,
 *   maxBytes: 1_048_576,
 *   what: 'AuthZEN PDP',
 *   unavailableCode: 'WRIT_PDP_UNAVAILABLE',
 *   invalidCode: 'WRIT_PDP_UNAVAILABLE',
 *   signal,
 * };
 * const { status, json } = await fetchJson('https://pdp.example.com/access/v1/evaluation', { method: 'POST', body }, options);
 * ```
 */
export interface FetchJsonOptions {
  fetch?: FetchLike | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Larger bodies are refused (`WRIT_IDENTITY_INVALID`, `reason: 'response_too_large'`). */
  maxBytes: number;
  /** What is being called, for messages ("OIDC discovery", "token endpoint", "AuthZEN PDP"). */
  what: string;
  /** Code for timeouts and network failures. @default 'WRIT_IDENTITY_UNAVAILABLE' */
  unavailableCode?: WritErrorCode | undefined;
  /** Code for oversized or unreadable answers. @default 'WRIT_IDENTITY_INVALID' */
  invalidCode?: WritErrorCode | undefined;
}

/**
 * What `fetchJson` read.
 *
 * @example
 * ```ts
 * const response: JsonResponse = await fetchJson('https://login.example.com/.well-known/openid-configuration', { method: 'GET' }, { timeoutMs: 5_000, maxBytes: 65_536, what: 'OIDC discovery' });
 * if (response.status !== 200 || response.empty) {
 *   throw new WritError('WRIT_IDENTITY_UNAVAILABLE', `OIDC discovery answered ${response.status}`);
 * }
 * const { issuer } = response.json as { issuer?: string };
 * ```
 */
export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body; `undefined` when the body is empty or not JSON. */
  readonly json: unknown;
  /** Whether the body was empty. */
  readonly empty: boolean;
}

/**
 * The URL without query and fragment, for error details.
 *
 * @internal
 * @example
 * ```ts
 * safeUrl('https://login.example.com/token?x=1'); // 'https://login.example.com/token'
 * ```
 */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * One HTTP exchange with an identity endpoint: bounded in time (`timeoutMs`, plus the caller's signal) and
 * size, redirects not followed, the body parsed as JSON when it is JSON. A caller's abort is
 * `WRIT_ABORTED`; a timeout or network failure is `WRIT_IDENTITY_UNAVAILABLE`. Statuses are the caller's
 * to judge. Parse errors are dropped rather than kept as `cause`, since their messages quote the body.
 *
 * @internal
 * @example
 * ```ts
 * const { status, json } = await fetchJson(url, { method: 'GET' }, { timeoutMs: 5000, maxBytes: 65536, what: 'OIDC discovery' });
 * ```
 */
export async function fetchJson(
  url: string,
  init: RequestInit,
  options: FetchJsonOptions,
): Promise<JsonResponse> {
  const { what, signal } = options;
  const details = { endpoint: safeUrl(url) };
  if (signal?.aborted === true) {
    throw new WritError('WRIT_ABORTED', `${what}: the caller gave up before the request was sent`, {
      details,
    });
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  const failure = (error: unknown): WritError => {
    if (WritError.isInstance(error)) return error;
    if (signal?.aborted === true) {
      return new WritError('WRIT_ABORTED', `${what}: the caller gave up`, { details, cause: error });
    }
    if (timeout.aborted) {
      return new WritError(
        options.unavailableCode ?? 'WRIT_IDENTITY_UNAVAILABLE',
        `${what} did not answer within ${options.timeoutMs} ms`,
        {
          details: { ...details, reason: 'timeout' },
          cause: error,
        },
      );
    }
    return new WritError(
      options.unavailableCode ?? 'WRIT_IDENTITY_UNAVAILABLE',
      `${what} could not be reached`,
      {
        details: { ...details, reason: 'network' },
        cause: error,
      },
    );
  };
  const doFetch = options.fetch ?? (globalThis.fetch as FetchLike);
  let response: Response;
  let text: string;
  try {
    response = await doFetch(url, { ...init, redirect: 'manual', signal: combined });
    text = await readText(
      response,
      options.maxBytes,
      what,
      details,
      options.invalidCode ?? 'WRIT_IDENTITY_INVALID',
    );
  } catch (error) {
    throw failure(error);
  }
  if (text.length === 0)
    return { status: response.status, headers: response.headers, json: undefined, empty: true };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, empty: false };
}

async function readText(
  response: Response,
  maxBytes: number,
  what: string,
  details: Record<string, unknown>,
  invalidCode: WritErrorCode,
): Promise<string> {
  if (response.body === null) return '';
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const tooLarge = () =>
    new WritError(invalidCode, `${what} answered with more than ${maxBytes} bytes`, {
      details: { ...details, reason: 'response_too_large', status: response.status },
    });
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

/**
 * Resolves like `promise`, or rejects with `WRIT_ABORTED` as soon as `signal` fires.
 *
 * @internal
 * @example
 * ```ts
 * const metadata = await raceAbort(sharedDiscovery, options.signal, 'OIDC discovery');
 * ```
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return promise;
  const aborted = () =>
    new WritError('WRIT_ABORTED', `${what}: the caller gave up`, { cause: signal.reason });
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

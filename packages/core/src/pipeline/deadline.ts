import { WritError, type WritErrorCode } from '../errors.js';

/** A signal that never aborts (calls without a caller signal share it; it gets no listeners). */
export const NEVER: AbortSignal = new AbortController().signal;

/** The refusal for a call whose caller gave up before the tool ran. */
export function abortError(signal: AbortSignal): WritError {
  return new WritError('WRIT_ABORTED', 'the call was aborted before the tool ran', { cause: signal.reason });
}

/**
 * Runs `run` with a signal that aborts when `parent` aborts or `ms` elapse. The returned promise settles
 * by the deadline even if `run` ignores its signal.
 */
export function withDeadline<T>(
  ms: number,
  parent: AbortSignal,
  run: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => WritError,
): Promise<T> {
  return race(ms, parent, new AbortController(), run, onTimeout);
}

/**
 * `withDeadline` for work that takes no signal (an audit append): the same deadline and parent abort,
 * without an `AbortController` per call.
 */
export function withTimeLimit<T>(
  ms: number,
  parent: AbortSignal,
  run: () => Promise<T>,
  onTimeout: () => WritError,
): Promise<T> {
  return race(ms, parent, undefined, run, onTimeout);
}

function race<T>(
  ms: number,
  parent: AbortSignal,
  controller: AbortController | undefined,
  run: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => WritError,
): Promise<T> {
  if (parent.aborted) return Promise.reject(abortError(parent));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      if (onAbort !== undefined) parent.removeEventListener('abort', onAbort);
    };
    const fail = (error: WritError) => {
      if (settled) return;
      finish();
      controller?.abort(error);
      reject(error);
    };
    timer = setTimeout(() => fail(onTimeout()), ms);
    // the shared never-aborting signal gets no listeners (thousands of concurrent calls would pile them up)
    if (parent !== NEVER) {
      onAbort = () => fail(abortError(parent));
      parent.addEventListener('abort', onAbort, { once: true });
    }
    let work: Promise<T>;
    try {
      work = run(controller === undefined ? NEVER : controller.signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    Promise.resolve(work).then(
      (value) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        finish();
        reject(error);
      },
    );
  });
}

/** One call to a configured service (identity provider, policy engine, broker, approval handler). */
export interface ServiceCall<T> {
  /** The service's time limit (`timeouts.*Ms`). */
  readonly ms: number;
  /** The caller's signal; its abort is `WRIT_ABORTED`, never remapped. */
  readonly signal: AbortSignal;
  readonly run: (signal: AbortSignal) => Promise<T>;
  /** The refusal when the time limit passes. */
  readonly timeout: () => WritError;
  /** Codes of the service's own verdicts, which pass through unchanged (the timeout's code among them). */
  readonly passes?: readonly WritErrorCode[] | undefined;
  /** What any other failure becomes. @default rethrown as it is */
  readonly failure?: ((error: unknown) => WritError) | undefined;
}

/**
 * Calls a service within its deadline and maps its failures the one way every service call does: the
 * caller's abort stays `WRIT_ABORTED`, the service's own verdicts (`passes`) pass, anything else becomes
 * `failure(error)` (fail closed, with the cause kept).
 */
export async function callService<T>(call: ServiceCall<T>): Promise<T> {
  try {
    return await withDeadline(call.ms, call.signal, call.run, call.timeout);
  } catch (error) {
    if (call.failure === undefined) throw error;
    if (WritError.isInstance(error, 'WRIT_ABORTED')) throw error;
    if (WritError.isInstance(error) && call.passes?.includes(error.code) === true) throw error;
    throw call.failure(error);
  }
}

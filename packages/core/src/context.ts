import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Attribution } from './attribution.js';
import type { Credential } from './credential.js';
import { WritError } from './errors.js';

/**
 * OTel context key under which the active {@link Attribution} lives.
 *
 * @example
 * ```ts
 * // what tryGetAttribution() returns, read from a context you hold
 * const attribution = activeContext().getValue(ATTRIBUTION_KEY) as Attribution | undefined;
 * ```
 */
export const ATTRIBUTION_KEY = createContextKey('writ.attribution');
/** OTel context key for the active task's state (credential, runtime). Internal shape. */
export const TASK_STATE_KEY = createContextKey('writ.task-state');

/** What the task scope keeps beside the attribution. */
export interface TaskState {
  readonly attribution: Attribution;
  /** The task credential (token inside, non-enumerable); replaced when the broker renews it. */
  credential?: Credential | undefined;
  /** A renewal in flight, shared by concurrent calls. */
  renewing?: Promise<Credential> | undefined;
  /** The Writ instance that opened the task; free functions (`withAttribution`, `@attributed`) use it. */
  readonly writ: unknown;
  /** Aborts the task's calls. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Resolves once the task-start record is durable: it may have been appended without a sync of its own
   * (a sink with `orderedSync`, under `strict`). Awaited before anything of the task leaves the process.
   */
  readonly startDurable?: (() => Promise<void>) | undefined;
}

// When no OpenTelemetry context manager is registered, `context.with` does not carry values across
// `await`. Writ then keeps the OTel Context it would have activated in its own AsyncLocalStorage, so
// attribution works with or without an OTel SDK. With a manager registered, OTel's context is used alone.
// The store is process-wide (on globalThis, like OTel's own API globals), so the ESM and CommonJS copies of
// @writ/core that one application can load (the dual-package hazard) see the same task; the context keys
// are `Symbol.for` keys for the same reason.
const FALLBACK = Symbol.for('writ.context.fallback');
const globals = globalThis as Record<symbol, unknown>;
globals[FALLBACK] ??= new AsyncLocalStorage<Context>();
const fallback = globals[FALLBACK] as AsyncLocalStorage<Context>;
const PROBE_KEY = createContextKey('writ.probe');
const PROBE = ROOT_CONTEXT.setValue(PROBE_KEY, true);

function otelContextWorks(): boolean {
  return context.with(PROBE, () => context.active() === PROBE);
}

/**
 * The active OTel context, including Writ's fallback store when no context manager is registered.
 *
 * @example
 * ```ts
 * const ctx = activeContext(); // use instead of context.active() when reading Writ values
 * ```
 */
export function activeContext(): Context {
  const active = context.active();
  const stored = fallback.getStore();
  if (stored === undefined) return active;
  if (active === ROOT_CONTEXT) return stored;
  // a context manager registered while a task ran in the fallback store (a library starting an OTel SDK
  // on first use, as Genkit does): contexts made since know their span, not the task; keep both
  if (active.getValue(ATTRIBUTION_KEY) === undefined && stored.getValue(ATTRIBUTION_KEY) !== undefined) {
    const span = trace.getSpan(active);
    return span === undefined ? stored : trace.setSpan(stored, span);
  }
  return active;
}

/**
 * Runs `fn` with `ctx` active, in OTel's context and (when OTel has no manager) in Writ's fallback store.
 *
 * @example
 * ```ts
 * await runInContext(extractContext(req.headers), () => handle(req));
 * ```
 */
export function runInContext<T>(ctx: Context, fn: () => T): T {
  if (otelContextWorks()) return context.with(ctx, fn);
  return fallback.run(ctx, () => context.with(ctx, fn));
}

/**
 * The attribution of the task the caller runs in, or `undefined` outside any task.
 *
 * @example
 * ```ts
 * const who = tryGetAttribution()?.requester?.id ?? 'autonomous';
 * ```
 */
export function tryGetAttribution(ctx: Context = activeContext()): Attribution | undefined {
  return ctx.getValue(ATTRIBUTION_KEY) as Attribution | undefined;
}

/**
 * The attribution of the task the caller runs in. Throws `WRIT_NO_TASK` outside `writ.task`.
 *
 * @example
 * ```ts
 * const refund = writ.tool({ name: 'refund', input, execute: async (args) => {
 *   const { requester, chain } = getAttribution();
 *   return payments.refund(args, { onBehalfOf: requester?.id, actor: chain.at(-1)?.id });
 * } });
 * ```
 */
export function getAttribution(ctx: Context = activeContext()): Attribution {
  const attribution = tryGetAttribution(ctx);
  if (attribution === undefined) {
    throw new WritError('WRIT_NO_TASK', 'no attribution in the active context: call this inside writ.task()');
  }
  return attribution;
}

/** The active task's state, or `undefined`. */
export function tryGetTaskState(ctx: Context = activeContext()): TaskState | undefined {
  return ctx.getValue(TASK_STATE_KEY) as TaskState | undefined;
}

/** A context carrying the given task state and attribution. */
export function withTaskState(ctx: Context, state: TaskState): Context {
  return ctx.setValue(TASK_STATE_KEY, state).setValue(ATTRIBUTION_KEY, state.attribution);
}

import type { AuthorizationRequest, Decision } from '../decision.js';
import { WritError } from '../errors.js';
import { evictOldest } from './evict-oldest.js';

/**
 * How a call ended, as the ledger keeps it: what a framework that runs the same call again gets back
 * instead of a second execution.
 *
 * @example
 * ```ts
 * function replay(settled: SettledCall): Promise<unknown> {
 *   return settled.ok ? Promise.resolve(settled.value) : Promise.reject(settled.error);
 * }
 * ```
 */
export type SettledCall =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * What the pipeline remembers about one framework tool call, so that a framework that decides first and
 * executes later (approval flows), or re-runs a node after a resume, gets one decision, one approval and
 * one execution per call: never two.
 *
 * @example
 * ```ts
 * const entry = await ledger.get({ callId: 'call_7f3a', binding });
 * if (entry?.settled !== undefined) console.log('already ran', entry.executed);
 * ```
 */
export interface LedgerEntry {
  /** What the entry is bound to (see {@link CallKey.binding}). */
  readonly binding: string;
  readonly request: AuthorizationRequest | undefined;
  readonly decision: Decision | undefined;
  /** The refusal the decision step produced (deny, PDP failure), replayed instead of deciding again. */
  readonly failure: WritError | undefined;
  /** Set once the call ran (or was refused and recorded): replayed, never run again. */
  readonly settled?: SettledCall | undefined;
  /** Whether the tool itself ran (a settled error is then the tool's, not a refusal). */
  readonly executed?: boolean | undefined;
  /**
   * Digest of the result (as the outcome record has it), once the call settled: what a store that may
   * not keep the value itself keeps instead (see {@link alreadyExecuted}).
   */
  readonly resultDigest?: string | undefined;
  /** Log index of the call's decision record, once it settled (a replay's outcome record points to it). */
  readonly decisionIndex?: number | undefined;
  /** The approval binding hash, when the decision asked for approval. */
  readonly bindingHash?: string | undefined;
  /** Epoch ms after which the entry is forgotten. */
  readonly expiresAt: number;
}

/**
 * Which call an entry belongs to: the framework's tool call id, and the binding that must match for the
 * entry to apply — a digest of the task, requester, acting agent, tool and arguments. The same call id
 * under another binding (another task or user reusing the id, other arguments) finds nothing.
 *
 * @example
 * ```ts
 * const key: CallKey = { callId: 'call_7f3a', binding };
 * ```
 */
export interface CallKey {
  readonly callId: string;
  readonly binding: string;
}

/**
 * The answer to {@link CallLedgerStore.claim}: run it (`claimed`, with what `check` decided earlier, if
 * anything), or replay how it ended (`settled`).
 *
 * @example
 * ```ts
 * const claim = await ledger.claim(key, { signal });
 * const replayed = claim.status === 'settled' ? claim.entry.settled : undefined;
 * ```
 */
export type CallClaim =
  | { readonly status: 'claimed'; readonly entry: LedgerEntry | undefined }
  | { readonly status: 'settled'; readonly entry: LedgerEntry & { readonly settled: SettledCall } };

/**
 * Where the pipeline remembers framework tool calls (the call ledger). The in-memory store
 * ({@link createInMemoryCallLedger}) serves one process; a shared store makes one execution per call hold
 * across processes. Every method may be called concurrently.
 *
 * @example
 * ```ts
 * const writ = createWrit({ policy, audit, stores: { calls: createInMemoryCallLedger({ max: 50_000, clock: Date.now }) } });
 * ```
 */
export interface CallLedgerStore {
  readonly name: string;
  /** The entry of a call under this binding: `undefined` when none, or expired. */
  get(key: CallKey): Promise<LedgerEntry | undefined>;
  /** Remembers what `check` concluded (a decision, or a refusal) for a call that is not running. */
  remember(key: CallKey, entry: LedgerEntry): Promise<void>;
  /**
   * Claims the call for execution, atomically: of any number of concurrent claimants, exactly one gets
   * `claimed`; the others wait until it settles (and get `settled`) or releases its claim (and claim again).
   */
  claim(key: CallKey, options: { readonly signal: AbortSignal }): Promise<CallClaim>;
  /** Records how a claimed call ended (what later claimants replay) and ends the claim. */
  settle(key: CallKey, entry: LedgerEntry & { readonly settled: SettledCall }): Promise<void>;
  /** Ends a claim without a result (aborted, or paused by the framework): the call can be claimed again. */
  release(key: CallKey): Promise<void>;
}

/**
 * The settled call a shared store hands back when it could not keep the result itself (results are
 * content: the value stays in the process that ran the call unless the store is told to keep it): a
 * refusal with code `WRIT_ALREADY_EXECUTED` carrying the result digest, whichever process asks again
 * (the one that ran it included). The call is never run a second time.
 *
 * @example
 * ```ts
 * const settled = entry.executed ? alreadyExecuted(key.callId, entry.resultDigest) : entry.settled;
 * ```
 */
export function alreadyExecuted(callId: string, resultDigest: string | undefined): SettledCall {
  return {
    ok: false,
    error: new WritError(
      'WRIT_ALREADY_EXECUTED',
      `tool call ${callId} already ran once; its result is not shared (the shared call ledger keeps only its digest)`,
      { details: { callId, resultDigest: resultDigest ?? null } },
    ),
  };
}

/**
 * Options of {@link createInMemoryCallLedger}.
 *
 * @example
 * ```ts
 * const options: InMemoryCallLedgerOptions = { max: 10_000, clock: Date.now };
 * ```
 */
export interface InMemoryCallLedgerOptions {
  /** Entries kept at most (the oldest go first). */
  readonly max: number;
  /** Epoch-ms clock. */
  readonly clock: () => number;
}

/**
 * The call ledger in this process's memory: bounded, each entry forgotten once it expires. A resume in
 * another process finds nothing (the call is decided afresh; an approval given elsewhere is refused).
 *
 * @example
 * ```ts
 * const calls = createInMemoryCallLedger({ max: 10_000, clock: Date.now });
 * ```
 */
export function createInMemoryCallLedger(options: InMemoryCallLedgerOptions): CallLedgerStore {
  const { max, clock } = options;
  const entries = new Map<string, LedgerEntry>();
  const evict = evictOldest(entries);
  /**
   * Calls being run by a claimant here, until it settles or releases (never evicted), with the claimants
   * waiting for it (most calls have none: the list is made by the first).
   */
  const runs = new Map<string, { waiting: (() => void)[] | undefined }>();
  /**
   * One slot per call id and binding: another task or user reusing the id has its own. Kept per key
   * object (a run passes the same key to claim, settle and release): one string, hashed once by the maps.
   */
  const slots = new WeakMap<CallKey, string>();
  const slot = (key: CallKey) => {
    let at = slots.get(key);
    if (at === undefined || !Object.isFrozen(key)) {
      at = `${key.callId}\u0000${key.binding}`;
      if (Object.isFrozen(key)) slots.set(key, at);
    }
    return at;
  };

  const live = (key: CallKey): LedgerEntry | undefined => {
    const at = slot(key);
    const entry = entries.get(at);
    if (entry !== undefined && entry.expiresAt <= clock()) {
      entries.delete(at);
      return undefined;
    }
    return entry;
  };
  const put = (key: CallKey, entry: LedgerEntry) => {
    const at = slot(key);
    entries.delete(at);
    entries.set(at, entry);
    evict(max);
  };
  const endRun = (key: CallKey) => {
    const at = slot(key);
    const run = runs.get(at);
    if (run === undefined) return;
    runs.delete(at);
    if (run.waiting !== undefined) for (const wake of run.waiting) wake();
  };

  return {
    name: 'in-memory',
    async get(key) {
      return live(key);
    },
    async remember(key, entry) {
      put(key, entry);
    },
    async claim(key, { signal }) {
      for (;;) {
        const entry = live(key);
        if (entry?.settled !== undefined) {
          return { status: 'settled', entry: entry as LedgerEntry & { settled: SettledCall } };
        }
        const at = slot(key);
        const running = runs.get(at);
        if (running === undefined) {
          runs.set(at, { waiting: undefined });
          return { status: 'claimed', entry };
        }
        // another claimant runs it: wait for its result (or its release), unless the caller gives up
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason);
          if (signal.aborted) return onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          running.waiting ??= [];
          running.waiting.push(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
    },
    async settle(key, entry) {
      put(key, entry);
      endRun(key);
    },
    async release(key) {
      endRun(key);
    },
  };
}

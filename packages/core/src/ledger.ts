import type { AuthorizationRequest, Decision } from './decision.js';
import type { WritError } from './errors.js';

/**
 * What the pipeline remembers about one framework tool call (keyed by the framework's tool call id), so
 * that a framework that decides first and executes later (approval flows), or re-runs a node after a
 * resume, gets one decision, one approval and one execution per call: never two.
 * @internal
 */
export interface LedgerEntry {
  /** Tool name, digest of the raw arguments and acting agent the entry is bound to. */
  readonly binding: string;
  readonly request: AuthorizationRequest | undefined;
  readonly decision: Decision | undefined;
  /** The refusal the decision step produced (deny, PDP failure), replayed instead of deciding again. */
  readonly failure: WritError | undefined;
  /** Set once the call ran (or was refused and recorded): replayed, never run again. */
  settled?: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };
  /** Whether the tool itself ran (a settled error is then the tool's, not a refusal). */
  executed?: boolean;
  /** The approval binding hash, when the decision asked for approval. */
  readonly bindingHash?: string | undefined;
  /** Epoch ms after which the entry is forgotten. */
  readonly expiresAt: number;
}

/**
 * Bounded, expiring map of framework tool call ids to their {@link LedgerEntry}. In memory: a resume in
 * another process finds nothing and the call is decided afresh (an approval given elsewhere is refused).
 * @internal
 */
export class CallLedger {
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #max: number;
  readonly #clock: () => number;

  constructor(max: number, clock: () => number) {
    this.#max = max;
    this.#clock = clock;
  }

  get(id: string, binding: string): LedgerEntry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock() || entry.binding !== binding) {
      // expired, or the same call id now carries other arguments / another agent: forget it
      this.#entries.delete(id);
      return undefined;
    }
    return entry;
  }

  set(id: string, entry: LedgerEntry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}

/** The key binding a ledger entry to exactly one call. @internal */
export function ledgerBinding(tool: string, rawArgsDigest: string, agent: string): string {
  return `${tool}\u0000${rawArgsDigest}\u0000${agent}`;
}

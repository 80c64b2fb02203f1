// What every framework's bench loop provides: one run of the framework's own agent loop with its
// scripted model (the model asks for `lookup_order` once, then answers; 2 model turns, 1 tool execution),
// three ways — no Writ, the tool governed by the Writ adapter, and a plain framework tool whose body calls
// a `writ.tool` (no adapter). The same tool body (`lookupOrder`) everywhere.
import type { Writ } from '@writ/core';
import type { LookupArgs } from '../../fixtures.ts';

/** One measured run of a framework's loop. */
export type Run = () => Promise<unknown>;

/** A framework's loop, buildable the three ways. */
export interface AdapterLoop {
  /** Short id: the case ids are `<id>-loop`, `<id>-loop-writ`, `<id>-loop-writ-direct`. */
  readonly id: string;
  /** What the loop is, for the table. */
  readonly loop: string;
  /** The Writ adapter measured. */
  readonly adapter: string;
  /** No Writ at all. */
  none(): Run | Promise<Run>;
  /** The tool governed by the adapter, on `writ` (calls run inside one `writ.task` per round, unless `ownTasks`). */
  adapted(writ: Writ): Run | Promise<Run>;
  /** A plain framework tool whose body is `call` (the `execute` of a `writ.tool` on `writ`). */
  direct(call: (args: LookupArgs) => Promise<unknown>, writ: Writ): Run | Promise<Run>;
  /**
   * No Writ, but a hook that does nothing in the slot the adapter uses (middleware, plugin): what the
   * framework itself charges for having a hook there. Only for adapters that are such a hook.
   */
  hooked?(): Run | Promise<Run>;
  /** Every run starts its own task (a tool server: one task per inbound request). @default false */
  readonly ownTasks?: boolean;
  /** Untimed, once the cases are done. */
  close?(): Promise<void>;
}

/** The Writ hints every adapter gets: the facts of the direct `writ.tool` (fixtures.ts). */
export { LOOKUP_HINTS as HINTS } from '../../fixtures.ts';

export const PROMPT = 'Where is order 42?';

/** Unique tool call ids: a repeated id in one task would be replayed from the call ledger, not run. */
export function callIds(prefix = 'call'): () => string {
  let n = 0;
  return () => `${prefix}_${++n}`;
}

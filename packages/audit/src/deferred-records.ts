// Records appended with `async` durability: fixed and given their index on the caller's path, encoded,
// hashed and chained later, in index order, in one batch per burst (see log-appender.ts).
import { fixedJson } from '@writ/core/internal';
import type { LogRecord } from './record.js';

/** A record that has its index but not yet its bytes. @internal */
export interface DeferredRecord {
  readonly index: number;
  /** The record as it was when appended (a {@link jsonSnapshot}: nothing else holds it). */
  readonly record: LogRecord;
  /** The copy is in canonical key order: its canonical form is `JSON.stringify(record)`. */
  readonly inOrder: boolean;
  /** Set once the record is encoded, hashed and chained. */
  leafHash: string | undefined;
}

/**
 * Fixes `record` as it is now: its JSON form copied into objects nothing else holds, read at the depth
 * the envelope puts it (so it encodes later exactly as it would have now, or throws now), and whether
 * the copy is already in canonical key order (records Writ builds are).
 * @internal
 */
export function fixRecord(record: LogRecord): { readonly record: LogRecord; readonly inOrder: boolean } {
  const fixed = fixedJson({ r: record });
  return { record: (fixed.value as { r: LogRecord }).r, inOrder: fixed.inOrder };
}

/**
 * The envelope line of a deferred record: `encodeEnvelope({ i, p, r })`, written directly when the
 * record's copy is in canonical order (`i` an index, `p` a hex hash: neither needs escaping).
 * @internal
 */
export function deferredLine(
  entry: DeferredRecord,
  previous: string,
  encode: (envelope: { i: number; p: string; r: LogRecord }) => string,
): string {
  return entry.inOrder
    ? `{"i":${entry.index},"p":"${previous}","r":${JSON.stringify(entry.record)}}`
    : encode({ i: entry.index, p: previous, r: entry.record });
}

/** The records waiting to be encoded; `encode` gets them in index order. @internal */
export interface Deferral {
  /** Records waiting. */
  readonly pending: number;
  add(entry: DeferredRecord): void;
  /** Encodes everything waiting, now, on this thread. */
  drain(): void;
}

/**
 * Collects deferred records and hands them to `encode` in one batch: on the next turn of the event
 * loop (`setImmediate`), when `limit` are waiting (memory stays bounded when the loop does not turn),
 * or when `drain()` is called (a receipt's leaf hash asked for, a strict append, a checkpoint, flush).
 * @internal
 */
export function createDeferral(encode: (batch: DeferredRecord[]) => void, limit: number): Deferral {
  let pending: DeferredRecord[] = [];
  let scheduled = false;
  const drain = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    encode(batch);
  };
  const onTurn = () => {
    scheduled = false;
    drain();
  };
  return {
    get pending() {
      return pending.length;
    },
    add(entry) {
      pending.push(entry);
      if (pending.length >= limit) drain();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(onTurn);
      }
    },
    drain,
  };
}

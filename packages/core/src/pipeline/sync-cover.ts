// One sync per strict request. A sink that declares `orderedSync` makes every record appended before a
// strict append durable with it, so a task's start record need not wait for a sync of its own: the
// task's first strict record (a call's decision) covers it. What a task does that can leave the process
// without a strict record — a hop credential sent to another service, the task's own return — waits for
// `ensureStartDurable` first, which syncs only when no strict append has covered the start yet.
import type { Config } from '../config.js';
import { WritError } from '../errors.js';
import type { AuditSink, Durability } from '../interfaces.js';
import { NEVER, withTimeLimit } from './deadline.js';

/** Per sink: the sequence number of the next append, and the highest one a sync is known to cover. */
interface Cover {
  next: number;
  durable: number;
}

const covers = new WeakMap<AuditSink, Cover>();

function coverOf(sink: AuditSink): Cover {
  let cover = covers.get(sink);
  if (cover === undefined) {
    cover = { next: 0, durable: -1 };
    covers.set(sink, cover);
  }
  return cover;
}

/** Numbers an append in the order it reaches the sink (called right before `sink.append`). */
export function appendSequence(sink: AuditSink): number {
  return coverOf(sink).next++;
}

/** The number the sink's next append will get. */
export function nextSequence(sink: AuditSink): number {
  return coverOf(sink).next;
}

/** A strict append numbered `sequence` was acknowledged: with `orderedSync`, so is everything before it. */
export function strictAcknowledged(sink: AuditSink, sequence: number): void {
  if (sink.orderedSync !== true) return;
  const cover = coverOf(sink);
  if (sequence > cover.durable) cover.durable = sequence;
}

/**
 * The durability a task's start record is appended with: under `strict`, `batched` when the sink
 * declares `orderedSync` (the start is then made durable by the next strict append, or by
 * `ensureStartDurable`), else `strict`.
 */
export function startDurability(config: Config): Durability {
  return config.durability === 'strict' && config.audit?.orderedSync === true ? 'batched' : config.durability;
}

/**
 * A start record appended without waiting for it (written with the task's next record, `writeWithNext`)
 * and, under `strict`, without its own sync: what `ensureStartDurable` needs.
 */
export interface DeferredStart {
  readonly sink: AuditSink;
  readonly sequence: number;
  /** The append itself: resolves once the record is written, rejects if it is not. */
  readonly written: Promise<unknown>;
  /** It still needs a sync (`strict`): covered by a later strict append, or a flush. */
  readonly sync: boolean;
  syncing?: Promise<void> | undefined;
}

/**
 * Resolves once the deferred start record is written and, under `strict`, durable: at once when a strict
 * append after it has been acknowledged, else after one `flush` of the sink (shared by concurrent
 * callers). Rejects with `WRIT_AUDIT_UNAVAILABLE` when it was not written, or the sink cannot flush
 * within `timeouts.auditMs`.
 */
export async function ensureStartDurable(config: Config, start: DeferredStart | undefined): Promise<void> {
  if (start === undefined) return;
  // rejects with appendEvent's WRIT_AUDIT_UNAVAILABLE (a log that failed and reopened since must not
  // take the task's later records as if its start were there)
  await start.written;
  if (!start.sync) return;
  const { sink } = start;
  const cover = coverOf(sink);
  if (cover.durable >= start.sequence) return;
  if (start.syncing === undefined) {
    const through = cover.next - 1;
    const flush = sink.flush;
    if (flush === undefined) {
      throw new WritError(
        'WRIT_AUDIT_UNAVAILABLE',
        `audit sink "${sink.name}" declares orderedSync but has no flush`,
      );
    }
    start.syncing = withTimeLimit(
      config.timeouts.auditMs,
      NEVER,
      () => flush.call(sink),
      () =>
        new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `audit sink "${sink.name}" did not make the task-start record durable within ${config.timeouts.auditMs} ms`,
        ),
    ).then(
      () => {
        if (through > cover.durable) cover.durable = through;
      },
      (error: unknown) => {
        start.syncing = undefined;
        throw WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')
          ? error
          : new WritError('WRIT_AUDIT_UNAVAILABLE', 'the task-start record could not be made durable', {
              cause: error,
            });
      },
    );
  }
  await start.syncing;
}

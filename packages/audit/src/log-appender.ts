import { WritError } from '@writ/core';
import type { AuditReceipt, Durability } from '@writ/core/plugin';
import { auditUnavailable } from './audit-unavailable.js';
import { signCheckpointWith } from './checkpoint/signed-checkpoint.js';
import { createDeferral, type DeferredRecord, deferredLine, fixRecord } from './deferred-records.js';
import { LOG_APPENDER_DEFAULTS, type LogAppenderOptions } from './log-appender-options.js';
import type { CheckpointAt } from './log-storage.js';
import { createFrontier } from './merkle/frontier.js';
import { encodeLeaf } from './merkle/hashing.js';
import { type CheckpointRecord, encodeEnvelope, type LogRecord } from './record.js';
import { safeReporter } from './sink-options.js';

export { LOG_APPENDER_DEFAULTS, type LogAppenderOptions } from './log-appender-options.js';
export type { CheckpointAt, LogResume, LogStorage, LogWriteOptions } from './log-storage.js';

/**
 * A log being written: append records, seal with checkpoints, flush and close.
 *
 * @example
 * ```ts
 * const appender: LogAppender = createLogAppender({ origin, signer, storage });
 * const receipt = await appender.append(event, 'batched');
 * const note = await appender.checkpoint(); // signed, covers the record just appended
 * if (appender.failed !== undefined) throw appender.failed; // reopen the log to go on
 * await appender.close();
 * ```
 */
export interface LogAppender {
  readonly origin: string;
  /** Records in the log, including ones still being written. */
  readonly size: number;
  /** Set once a write failed: the in-memory tree is ahead of storage; reopen the log to continue. */
  readonly failed: WritError | undefined;
  /**
   * `withNext`: nobody waits for this record alone; it is written with the next record appended (one
   * write), or on the next turn of the event loop, and resolves once written (`AppendOptions.writeWithNext`).
   */
  append(record: LogRecord, durability: Durability, options?: { withNext?: boolean }): Promise<AuditReceipt>;
  /** Appends a checkpoint of everything before it now. */
  checkpoint(): Promise<string>;
  flush(): Promise<void>;
  /** Writes a final checkpoint (when anything is new), flushes and stops timers. */
  close(): Promise<void>;
}

interface Pending {
  readonly line: string;
  readonly encoded: { readonly bytes: Buffer; readonly leafHash: string };
  readonly durability: Durability;
  readonly resolve: () => void;
  readonly reject: (error: WritError) => void;
}

/**
 * The storage-independent heart of a Writ log: gives each record its index, chains it to the previous
 * record's leaf hash, extends the RFC 6962 tree, groups concurrent appends into one write (and one sync
 * for `strict`), and seals the tree with signed checkpoints every N records, every T ms and on close.
 *
 * An `async` append is fixed (its JSON form copied, see `jsonSnapshot`) and given its index on the
 * caller's path; its encoding, leaf hash, chaining and tree update run later in index order, in one
 * batch per burst (the next turn of the event loop, `asyncBatchRecords` waiting, or earlier when its
 * receipt's `leafHash` is read, a `strict`/`batched` append or a checkpoint comes, or on flush/close).
 * The bytes written are the same as if it had been encoded at once. A record that cannot be fixed is
 * refused on the caller's path and takes no index; one that then fails to encode (it cannot, short of
 * running out of memory) fails the log: reported through `onError`, every later append refused.
 *
 * @example
 * ```ts
 * const appender = createLogAppender({ origin: 'writ.local/audit/0193…', signer, storage });
 * const receipt = await appender.append(event, 'strict'); // durable when it resolves
 * ```
 */
export function createLogAppender(options: LogAppenderOptions): LogAppender {
  const { origin, signer, storage } = options;
  const clock = options.clock ?? Date.now;
  const every = options.checkpointEvery ?? LOG_APPENDER_DEFAULTS.checkpointEvery;
  const intervalMs = options.checkpointIntervalMs ?? LOG_APPENDER_DEFAULTS.checkpointIntervalMs;
  const batchedSyncMs = options.batchedSyncMs ?? LOG_APPENDER_DEFAULTS.batchedSyncMs;
  const frontier = createFrontier(options.resume?.frontier);
  let size = options.resume?.size ?? 0;
  let lastHash = options.resume?.lastLeafHash ?? '';
  let checkpointedSize = options.resume?.checkpointedSize ?? 0;
  const asyncBatch = options.asyncBatchRecords ?? LOG_APPENDER_DEFAULTS.asyncBatchRecords;
  let queue: Pending[] = [];
  let writing: Promise<void> | undefined;
  let failed: WritError | undefined;
  let unsynced = false;
  let closed = false;
  const report = safeReporter(options.onError);

  const syncTimer = setInterval(() => {
    if (!unsynced || failed) return;
    unsynced = false;
    storage
      .sync()
      .catch((error: unknown) => report(auditUnavailable('syncing batched records failed', error)));
  }, batchedSyncMs);
  syncTimer.unref?.();
  const checkpointTimer = setInterval(() => {
    if (size > checkpointedSize && !failed && !closed) {
      track(addCheckpoint(true)).catch((error: unknown) =>
        report(auditUnavailable('a timed checkpoint failed', error)),
      );
    }
  }, intervalMs);
  checkpointTimer.unref?.();

  const pump = (): Promise<void> => {
    if (writing) return writing;
    writing = (async () => {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        const sync = batch.some((p) => p.durability === 'strict');
        try {
          if (failed) throw failed;
          await storage.write(
            batch.map((p) => p.line),
            { sync, encoded: batch.map((p) => p.encoded) },
          );
          if (!sync) unsynced = true;
          for (const p of batch) p.resolve();
        } catch (error) {
          failed ??= auditUnavailable('the log could not be written', error);
          for (const p of batch) p.reject(failed);
          for (const p of queue.splice(0)) p.reject(failed);
        }
      }
    })().finally(() => {
      writing = undefined;
      // a record enqueued after the loop last found the queue empty, but before this ran, found `writing`
      // still set and was left waiting: write it now (not at the next timed checkpoint)
      if (queue.length > 0) void pump();
    });
    return writing;
  };

  const enqueue = (
    record: LogRecord,
    durability: Durability,
    withNext = false,
  ): { receipt: AuditReceipt; done: Promise<void> } => {
    deferral.drain(); // records indexed before this one are chained first
    if (failed) throw failed;
    if (closed) throw new WritError('WRIT_AUDIT_UNAVAILABLE', 'the audit log is closed');
    const index = size;
    const line = encodeEnvelope({ i: index, p: lastHash, r: record });
    const { bytes, hash, hex } = encodeLeaf(line);
    frontier.append(hash);
    size++;
    lastHash = hex;
    const receipt: AuditReceipt = { log: origin, index, leafHash: lastHash };
    const encoded = { bytes, leafHash: lastHash };
    const done = new Promise<void>((resolve, reject) => {
      queue.push({ line, encoded, durability, resolve, reject });
    });
    if (!withNext) void pump();
    else if (writing === undefined) setImmediate(pump); // else the write in flight takes it next
    return { receipt, done };
  };

  /** Encodes deferred records in index order, chains them and queues them for writing. */
  const encodeDeferred = (batch: DeferredRecord[]): void => {
    if (failed) {
      report(failed); // the log failed before they were written: say so, once for the batch
      return;
    }
    for (const entry of batch) {
      let line: string;
      let leaf: ReturnType<typeof encodeLeaf>;
      try {
        line = deferredLine(entry, lastHash, encodeEnvelope);
        leaf = encodeLeaf(line);
      } catch (error) {
        void pump(); // what was encoded before it is still written
        failed ??= auditUnavailable(
          `audit record ${entry.index} could not be encoded after it was appended; the log refuses further records`,
          error,
        );
        report(failed);
        return;
      }
      frontier.append(leaf.hash);
      lastHash = leaf.hex;
      entry.leafHash = leaf.hex;
      queue.push({
        line,
        encoded: { bytes: leaf.bytes, leafHash: leaf.hex },
        durability: 'async',
        resolve: noop,
        reject: report,
      });
    }
    void pump();
  };
  const deferral = createDeferral(encodeDeferred, asyncBatch);

  /** Fixes an `async` record and gives it its index; its receipt's leaf hash is computed when asked for. */
  const defer = (record: LogRecord): AuditReceipt => {
    if (failed) throw failed;
    if (closed) throw new WritError('WRIT_AUDIT_UNAVAILABLE', 'the audit log is closed');
    const fixed = fixRecord(record);
    const entry: DeferredRecord = {
      index: size,
      record: fixed.record,
      inOrder: fixed.inOrder,
      leafHash: undefined,
    };
    size++;
    deferral.add(entry);
    return {
      log: origin,
      index: entry.index,
      get leafHash(): string {
        if (entry.leafHash === undefined) deferral.drain();
        if (entry.leafHash === undefined)
          throw failed ?? new WritError('WRIT_AUDIT_UNAVAILABLE', 'the audit record was not encoded');
        return entry.leafHash;
      },
    };
  };

  // checkpoints still being written or published; flush and close wait for them
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.then(
      () => inFlight.delete(promise),
      () => inFlight.delete(promise),
    );
    return promise;
  };
  const settle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };

  // while a checkpoint note is being signed (a remote signer may take time), appends wait: the
  // checkpoint record must sit right after the tree it signs
  // (callers wait with `while (gate !== undefined) await gate;` inline: the check and what follows it
  // must run in the same microtask)
  let gate: Promise<void> | undefined;

  /** Appends a checkpoint; with `ifNew`, only when records arrived since the last one (else undefined). */
  const addCheckpoint = async (ifNew = false): Promise<string | undefined> => {
    while (gate !== undefined) await gate;
    if (ifNew && size <= checkpointedSize) return undefined;
    let open = () => {};
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let note: string;
    let done: Promise<void>;
    let at: CheckpointAt;
    let published: Promise<string>;
    try {
      deferral.drain(); // the checkpoint signs the tree with every record indexed before it
      if (failed) throw failed;
      const time = [`time ${new Date(clock()).toISOString()}`];
      at = { index: size, frontier: frontier.state() };
      note = await signCheckpointWith({ origin, size, rootHash: frontier.root(), extensions: time }, signer);
      const record: CheckpointRecord = { v: 1, kind: 'checkpoint', note };
      ({ done } = enqueue(record, 'strict'));
      checkpointedSize = size;
      // what gets published covers the checkpoint record too (taken before any other append)
      published = signCheckpointWith({ origin, size, rootHash: frontier.root(), extensions: time }, signer);
    } finally {
      gate = undefined;
      open();
    }
    const [publishedNote] = await Promise.all([published, done]);
    try {
      await options.onCheckpoint?.(publishedNote, at);
    } catch (error) {
      throw auditUnavailable('the checkpoint could not be published', error);
    }
    return note;
  };

  /** A sync that fails (ENOSPC, EIO) fails the log, as a failed write does: typed, and reopened before more. */
  const syncOrFail = async (): Promise<void> => {
    try {
      await storage.sync();
    } catch (error) {
      failed ??= auditUnavailable('the log could not be synced', error);
      throw failed;
    }
  };

  return {
    origin,
    get size() {
      return size;
    },
    get failed() {
      return failed;
    },
    async append(record, durability, appendOptions) {
      while (gate !== undefined) await gate;
      const deferred = durability === 'async' ? defer(record) : undefined;
      const { receipt, done } =
        deferred === undefined ? enqueue(record, durability, appendOptions?.withNext) : { receipt: deferred };
      if (size - checkpointedSize >= every && gate === undefined) {
        track(addCheckpoint(true)).catch((error: unknown) =>
          report(auditUnavailable('a checkpoint failed', error)),
        );
      }
      if (done !== undefined) await done;
      return receipt;
    },
    checkpoint: () => track(addCheckpoint()) as Promise<string>,
    async flush() {
      if (closed) return; // flushed by close(); a second writ.close() is a no-op
      deferral.drain();
      await pump();
      await settle();
      if (failed) throw failed;
      await syncOrFail();
      unsynced = false;
    },
    async close() {
      if (closed) return;
      try {
        await settle();
        deferral.drain();
        if (!failed && size > checkpointedSize) await addCheckpoint();
        await pump();
        if (!failed) await syncOrFail();
      } finally {
        closed = true;
        clearInterval(syncTimer);
        clearInterval(checkpointTimer);
      }
      if (failed) throw failed;
    },
  };
}

const noop = (): void => {};

// The options of a log appender and their defaults (see log-appender.ts).
import type { WritError } from '@writ/core';
import type { CheckpointSigner } from './checkpoint/signer-key.js';
import type { CheckpointAt, LogResume, LogStorage } from './log-storage.js';

/**
 * Defaults of {@link createLogAppender}: how often the log is sealed and how long batched records wait
 * for a sync.
 *
 * @example
 * ```ts
 * const appender = createLogAppender({
 *   origin,
 *   signer,
 *   storage,
 *   checkpointEvery: LOG_APPENDER_DEFAULTS.checkpointEvery / 10, // seal ten times as often
 * });
 * ```
 */
export const LOG_APPENDER_DEFAULTS = Object.freeze({
  /** A checkpoint after this many records. @default 1000 */
  checkpointEvery: 1_000,
  /** A checkpoint at least this often while records arrive, ms. @default 10000 */
  checkpointIntervalMs: 10_000,
  /** With `batched` durability, written records are synced at least this often, ms. @default 200 */
  batchedSyncMs: 200,
  /**
   * `async` records are encoded on the next turn of the event loop, or as soon as this many wait (so
   * memory stays bounded in a loop that never yields). @default 256
   */
  asyncBatchRecords: 256,
});

/**
 * Options of {@link createLogAppender}: the log's identity and signer, where lines go, where to resume,
 * and how often to seal.
 *
 * @example
 * ```ts
 * const options: LogAppenderOptions = {
 *   origin: 'support.example/audit/1',
 *   signer: createNoteSigner(process.env.WRIT_AUDIT_SIGNER_KEY ?? ''),
 *   storage,
 *   checkpointIntervalMs: 5_000,
 *   onCheckpoint: (note) => writeFile('/var/www/audit/checkpoint', note),
 *   onError: (error) => console.error(`audit: ${error.message}`),
 * };
 * const appender = createLogAppender(options);
 * ```
 */
export interface LogAppenderOptions {
  /** The log's identity: the origin line of its checkpoints. */
  origin: string;
  /** Signs checkpoints; an asynchronous signer (KMS, HSM) holds appends back while it signs. */
  signer: CheckpointSigner;
  storage: LogStorage;
  resume?: LogResume;
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
  batchedSyncMs?: number;
  asyncBatchRecords?: number;
  clock?: () => number;
  /**
   * Called once a checkpoint record is durable, with a note to publish: a checkpoint of the tree that
   * includes the checkpoint record itself, so the published note commits to every byte of the log.
   * `at` is the checkpoint record's index and the tree state just before it (what a storage keeps to
   * reopen the log from this checkpoint without reading what precedes it).
   */
  onCheckpoint?: (publishedNote: string, at: CheckpointAt) => void | Promise<void>;
  /** Failures that cannot reach a caller (background checkpoints). */
  onError?: (error: WritError) => void;
}

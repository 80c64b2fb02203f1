// Where a log appender puts its lines, and the state it resumes from: the storage side of log-appender.ts.
import type { FrontierState } from './merkle/frontier.js';

/**
 * Options of {@link LogStorage.write}.
 *
 * @example
 * ```ts
 * const line = '{"i":0,"p":"","r":{"kind":"task-start"}}';
 * const bytes = Buffer.from(line, 'utf8');
 * const options: LogWriteOptions = { sync: true, encoded: [{ bytes, leafHash: leafHash(bytes).toString('hex') }] };
 * await storage.write([line], options);
 * ```
 */
export interface LogWriteOptions {
  /** The lines must be durable (fsync / commit) before `write` resolves. */
  readonly sync: boolean;
  /** Per line, in the same order: its UTF-8 bytes (no newline) and its leaf hash, hex. */
  readonly encoded?: readonly { readonly bytes: Buffer; readonly leafHash: string }[] | undefined;
}

/**
 * Where an appender puts lines. Lines arrive numbered and contiguous.
 *
 * @example
 * ```ts
 * import { appendFile, open } from 'node:fs/promises';
 *
 * const path = '/var/lib/support/audit.jsonl';
 * const storage: LogStorage = {
 *   async write(lines, { sync }) {
 *     await appendFile(path, lines.map((line) => `${line}\n`).join(''));
 *     if (sync) await storage.sync();
 *   },
 *   async sync() {
 *     const file = await open(path, 'a');
 *     try {
 *       await file.datasync();
 *     } finally {
 *       await file.close();
 *     }
 *   },
 * };
 * ```
 */
export interface LogStorage {
  /**
   * Persists the lines in order; with `sync` they must be durable (fsync / commit) before resolving.
   * `encoded` (when given) holds each line's UTF-8 bytes and RFC 6962 leaf hash as the appender computed
   * them, so a storage need not encode or hash the lines again.
   */
  write(lines: readonly string[], options: LogWriteOptions): Promise<void>;
  /** Makes everything written durable. */
  sync(): Promise<void>;
}

/**
 * The state of an existing log, to continue it: read it back once at start-up, then append after it.
 *
 * @example
 * ```ts
 * const frontier = createFrontier();
 * let lastLeafHash = '';
 * let checkpointedSize = 0;
 * for await (const line of readLines('/var/lib/support/audit')) {
 *   if (!line.complete) break;
 *   const hash = leafHash(line.bytes);
 *   frontier.append(hash);
 *   lastLeafHash = hash.toString('hex');
 *   const { r } = JSON.parse(line.bytes.toString('utf8')) as Envelope;
 *   if (r.kind === 'checkpoint') checkpointedSize = frontier.size;
 * }
 * const resume: LogResume = { size: frontier.size, lastLeafHash, frontier: frontier.state(), checkpointedSize };
 * const appender = createLogAppender({ origin, signer, storage, resume });
 * ```
 */
export interface LogResume {
  readonly size: number;
  /** Hex leaf hash of the last record ("" for an empty log). */
  readonly lastLeafHash: string;
  readonly frontier: FrontierState;
  /** Size covered by the last checkpoint in the log. */
  readonly checkpointedSize: number;
}

/**
 * Where a checkpoint record sits: its index, and the tree state just before it (of size `index`).
 *
 * @example
 * ```ts
 * const appender = createLogAppender({
 *   origin,
 *   signer,
 *   storage,
 *   onCheckpoint: (note, at: CheckpointAt) => saveState({ size: at.index + 1, note, frontier: at.frontier }),
 * });
 * ```
 */
export interface CheckpointAt {
  readonly index: number;
  readonly frontier: FrontierState;
}

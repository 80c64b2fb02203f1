import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import type { AppendOptions, AuditEvent, AuditReceipt, AuditSink } from '@writ/core/plugin';
import { z } from 'zod';
import type { CheckpointSigner } from '../checkpoint/signer-key.js';
import { createLogAppender, LOG_APPENDER_DEFAULTS, type LogAppender } from '../log-appender.js';
import { proveConsistency } from '../log-proofs.js';
import { logSigner } from '../log-signer.js';
import { type LogSealingOptions, sealingOptionsShape } from '../sink-options.js';
import { createWitnessing, type WitnessEndpoint, witnessesSchema } from '../witness/witnessing.js';
import { checkpointPublisher } from './checkpoint-file.js';
import { checkLogDir } from './log-dir.js';
import { type LogMeta, loadOrCreateLogMeta } from './log-meta.js';
import { recoverLog } from './recovery.js';
import { SegmentStorage } from './segment-storage.js';
import { lockLogDir } from './writer-lock.js';

/**
 * Defaults of {@link createFileAuditSink}: where the log and its key live, and the segment size.
 *
 * @example
 * ```ts
 * const audit = await createFileAuditSink({ maxSegmentBytes: FILE_SINK_DEFAULTS.maxSegmentBytes / 4 });
 * const result = await verifyLog(FILE_SINK_DEFAULTS.dir, { verifierKey: audit.verifierKey });
 * ```
 */
export const FILE_SINK_DEFAULTS = Object.freeze({
  /** @default '.writ/audit' */
  dir: '.writ/audit',
  /** Where the checkpoint signing key lives. @default '.writ/keys' */
  keyDir: '.writ/keys',
  /** A new segment starts past this size, bytes. @default 67108864 (64 MiB) */
  maxSegmentBytes: 64 * 1024 * 1024,
});

/**
 * Options of {@link createFileAuditSink}: where the log and its key live, segment size, how often it is
 * sealed with a checkpoint, and how long appends wait to share a sync.
 *
 * @example
 * ```ts
 * const options: CreateFileAuditSinkOptions = {
 *   dir: '/var/lib/support/audit',
 *   keyDir: '/var/lib/support/keys',
 *   checkpointEvery: 500,
 *   checkpointIntervalMs: 5_000,
 *   onError: (error) => console.error(`audit: ${error.code} ${error.message}`),
 * };
 * const audit = await createFileAuditSink(options);
 * ```
 */
export interface CreateFileAuditSinkOptions extends LogSealingOptions {
  /** @default '.writ/audit' */
  dir?: string;
  /** @default 64 MiB */
  maxSegmentBytes?: number;
  /** With `batched` durability, written records are synced at least this often, ms. @default 200 */
  batchedSyncMs?: number;
  /**
   * C2SP tlog-witnesses to cosign each checkpoint (`writ witness serve`, or any tlog-witness). After a
   * checkpoint is sealed and published, each is asked in the background, with a consistency proof
   * from the size it last cosigned (a 409 answer names it, and the request is made again from there);
   * the checkpoint is then published again with the valid cosignatures appended. A witness that
   * refuses or cannot be reached is reported to `onError` (`WRIT_AUDIT_UNAVAILABLE`, reason
   * `witness_refused` or `witness_unreachable`) and never blocks or fails an append; `close()` waits
   * for the requests under way (10 s each at most).
   */
  witnesses?: WitnessEndpoint[];
}

/**
 * What opening the log found and repaired.
 *
 * @example
 * ```ts
 * const audit = await createFileAuditSink();
 * const report: OpenReport = audit.opened;
 * if (report.repairedBytes > 0) console.warn(`audit log: dropped a torn final line (${report.repairedBytes} bytes)`);
 * console.log(`audit log opened with ${report.records} records`);
 * ```
 */
export interface OpenReport {
  readonly records: number;
  /** Bytes dropped from a torn final line (a write cut short by a crash), if any. */
  readonly repairedBytes: number;
}

/**
 * The file sink, with the log's identity and key.
 *
 * @example
 * ```ts
 * const audit: FileAuditSink = await createFileAuditSink();
 * console.log(`log ${audit.origin} in ${audit.dir}: ${audit.size} records; verify with ${audit.verifierKey}`);
 * const note = await audit.checkpoint(); // seal everything written so far
 * await audit.close?.();
 * ```
 */
export interface FileAuditSink extends AuditSink {
  readonly dir: string;
  /** The log's origin (first line of its checkpoints). */
  readonly origin: string;
  /** The C2SP verifier key of the checkpoint signer: give it to whoever verifies the log. */
  readonly verifierKey: string;
  readonly size: number;
  readonly opened: OpenReport;
  /** Appends a checkpoint now; returns the signed note. */
  checkpoint(): Promise<string>;
}

const optionsSchema = z.strictObject({
  dir: z.string().min(1).optional(),
  ...sealingOptionsShape,
  maxSegmentBytes: z.number().int().min(1024).optional(),
  batchedSyncMs: z.number().int().positive().optional(),
  witnesses: witnessesSchema.optional(),
});

/**
 * The embedded audit sink: JSONL segments under `.writ/audit/`, one writer at a time (a lock file),
 * records chained and sealed by an RFC 6962 tree with signed checkpoints. Concurrent appends share one
 * write and one `fdatasync` (group commit); `strict` appends resolve only once synced. On open, a torn
 * final line left by a crash is cut off and the log continues; any other damage refuses to open (run
 * `writ verify`). After a failed write the sink reopens the log before accepting more. A directory
 * other users can write to is refused (`WRIT_AUDIT_UNAVAILABLE`, reason `dir_permissions`); files are
 * created `0600`, never through a symbolic link.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const audit = await createFileAuditSink();            // .writ/audit, key in .writ/keys
 * const writ = createWrit({ audit, policy });
 * console.log('verify with', audit.verifierKey);
 * ```
 */
export async function createFileAuditSink(options: CreateFileAuditSinkOptions = {}): Promise<FileAuditSink> {
  const o = validateOptions(optionsSchema, options, 'createFileAuditSink') as CreateFileAuditSinkOptions;
  const dir = resolve(o.dir ?? FILE_SINK_DEFAULTS.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkLogDir(dir);
  const release = await lockLogDir(dir);
  try {
    const keys = { signer: o.signer, keyDir: o.keyDir ?? FILE_SINK_DEFAULTS.keyDir, createKey: o.createKey };
    const meta = await loadOrCreateLogMeta(dir, (origin) => logSigner(keys, origin));
    const signer = await logSigner(keys, meta.origin, { verifierKey: meta.verifierKey });
    const published = checkpointPublisher(dir);
    const witnessing =
      o.witnesses === undefined || o.witnesses.length === 0
        ? undefined
        : createWitnessing({
            witnesses: o.witnesses,
            prove: async (oldSize, newSize) =>
              (await proveConsistency(dir, oldSize, { newSize })).proof.map((h) => Buffer.from(h, 'base64')),
            publish: published,
            onError: o.onError,
          });
    const publish = async (note: string) => {
      await published(note);
      witnessing?.submit(note);
    };
    let state = await openState(dir, o, meta, signer, publish);
    const opened = state.report;
    let recovering: Promise<void> | undefined;
    const recover = async () => {
      await state.storage.close().catch(() => undefined);
      state = await openState(dir, o, meta, signer, publish);
    };
    let sinkClosed = false;
    const sink: FileAuditSink = {
      name: 'file',
      // one file descriptor written in order (a segment is synced before the next opens): a sync covers
      // every record appended before it
      orderedSync: true,
      dir,
      origin: meta.origin,
      verifierKey: meta.verifierKey,
      opened,
      get size() {
        return state.appender.size;
      },
      async append(event: AuditEvent, appendOptions: AppendOptions): Promise<AuditReceipt> {
        if (state.appender.failed) {
          recovering ??= recover().finally(() => {
            recovering = undefined;
          });
          await recovering.catch((error: unknown) => {
            throw new WritError(
              'WRIT_AUDIT_UNAVAILABLE',
              'the audit log could not be reopened after a failed write',
              { cause: error },
            );
          });
        }
        // a task's start record waits for the task's next record: one write for both
        return state.appender.append(
          event,
          appendOptions.durability,
          appendOptions.writeWithNext === true ? WITH_NEXT : undefined,
        );
      },
      checkpoint: () => state.appender.checkpoint(),
      flush: () => state.appender.flush(),
      async close() {
        if (sinkClosed) return;
        sinkClosed = true;
        try {
          await state.appender.close();
          await witnessing?.settled();
        } finally {
          await state.storage.close();
          await release();
        }
      },
    };
    return sink;
  } catch (error) {
    await release();
    throw error;
  }
}

interface OpenState {
  appender: LogAppender;
  storage: SegmentStorage;
  report: OpenReport;
}

/** Opens the log for appending: recovers it, opens its last segment and resumes the appender on it. */
async function openState(
  dir: string,
  o: CreateFileAuditSinkOptions,
  meta: LogMeta,
  signer: CheckpointSigner,
  publish: (note: string) => Promise<void>,
): Promise<OpenState> {
  const { resume, repairedBytes, lastSegment } = await recoverLog(dir);
  const storage = await SegmentStorage.open(
    dir,
    resume.size,
    lastSegment,
    o.maxSegmentBytes ?? FILE_SINK_DEFAULTS.maxSegmentBytes,
  );
  const appender = createLogAppender({
    origin: meta.origin,
    signer,
    storage,
    resume,
    checkpointEvery: o.checkpointEvery ?? LOG_APPENDER_DEFAULTS.checkpointEvery,
    checkpointIntervalMs: o.checkpointIntervalMs,
    batchedSyncMs: o.batchedSyncMs,
    clock: o.clock,
    onError: o.onError,
    onCheckpoint: (note: string) => publish(note),
  });
  return { appender, storage, report: { records: resume.size, repairedBytes } };
}

/** What a task's start record is appended with (`AppendOptions.writeWithNext`). */
const WITH_NEXT = Object.freeze({ withNext: true });

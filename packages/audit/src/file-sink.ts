import { randomUUID } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readFile,
  rename,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import type { AppendOptions, AuditEvent, AuditReceipt, AuditSink } from '@writ/core/plugin';
import { z } from 'zod';
import type { NoteSigner } from './checkpoint/index.js';
import { peekEnvelope } from './envelope-prefix.js';
import {
  createLogAppender,
  LOG_APPENDER_DEFAULTS,
  type LogAppender,
  type LogResume,
  type LogStorage,
  type LogWriteOptions,
} from './log-appender.js';
import { listSegments, readLines, segmentName } from './log-reader.js';
import { createFrontier, leafHash } from './merkle/index.js';
import { loadOrCreateNoteSigner } from './note-key.js';

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
export interface CreateFileAuditSinkOptions {
  /** @default '.writ/audit' */
  dir?: string;
  /** @default '.writ/keys' */
  keyDir?: string;
  /** Checkpoint signer. @default a key created on first use in `keyDir` */
  signer?: NoteSigner;
  /** @default 64 MiB */
  maxSegmentBytes?: number;
  /** @default 1000 */
  checkpointEvery?: number;
  /** @default 10000 */
  checkpointIntervalMs?: number;
  /** @default 200 */
  batchedSyncMs?: number;
  clock?: () => number;
  /** Background failures (timed checkpoints, batched syncs). */
  onError?: (error: WritError) => void;
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

interface LogMeta {
  readonly v: 1;
  readonly origin: string;
  readonly verifierKey: string;
  readonly created: string;
}

const optionsSchema = z.strictObject({
  dir: z.string().min(1).optional(),
  keyDir: z.string().min(1).optional(),
  signer: z
    .custom<NoteSigner>(
      (v) => typeof v === 'object' && v !== null && typeof (v as NoteSigner).sign === 'function',
      {
        message: 'must be a NoteSigner (createNoteSigner())',
      },
    )
    .optional(),
  maxSegmentBytes: z.number().int().min(1024).optional(),
  checkpointEvery: z.number().int().positive().optional(),
  checkpointIntervalMs: z.number().int().positive().optional(),
  batchedSyncMs: z.number().int().positive().optional(),
  clock: z.custom<() => number>((v) => typeof v === 'function').optional(),
  onError: z.custom<(e: WritError) => void>((v) => typeof v === 'function').optional(),
});

/**
 * The embedded audit sink: JSONL segments under `.writ/audit/`, one writer at a time (a lock file),
 * records chained and sealed by an RFC 6962 tree with signed checkpoints. Concurrent appends share one
 * write and one `fdatasync` (group commit); `strict` appends resolve only once synced. On open, a torn
 * final line left by a crash is cut off and the log continues; any other damage refuses to open (run
 * `writ verify`). After a failed write the sink reopens the log before accepting more.
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
  const release = await lock(dir);
  try {
    const meta = await loadMeta(dir, o);
    const signer =
      o.signer ?? (await loadOrCreateNoteSigner(o.keyDir ?? FILE_SINK_DEFAULTS.keyDir, meta.origin));
    if (signer.verifierKey !== meta.verifierKey) {
      throw new WritError(
        'WRIT_AUDIT_UNAVAILABLE',
        `the signing key does not match the key recorded for log ${meta.origin}`,
        {
          details: { reason: 'key_mismatch' },
        },
      );
    }
    let state = await openState(dir, o, meta, signer);
    const opened = state.report;
    let recovering: Promise<void> | undefined;
    const recover = async () => {
      await state.storage.close().catch(() => undefined);
      state = await openState(dir, o, meta, signer);
    };
    let sinkClosed = false;
    const sink: FileAuditSink = {
      name: 'file',
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
        return state.appender.append(event, appendOptions.durability);
      },
      checkpoint: () => state.appender.checkpoint(),
      flush: () => state.appender.flush(),
      async close() {
        if (sinkClosed) return;
        sinkClosed = true;
        try {
          await state.appender.close();
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
  storage: FileStorage;
  report: OpenReport;
}

/**
 * Publishes checkpoints to `<dir>/checkpoint` one at a time (write a unique temp file, then rename), never
 * replacing a larger checkpoint with a smaller one.
 */
function checkpointPublisher(dir: string): (note: string) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let published = -1;
  let n = 0;
  return (note: string) => {
    const size = Number(note.split('\n')[1]);
    chain = chain.then(async () => {
      if (size <= published) return;
      const tmp = join(dir, `checkpoint.${process.pid}.${++n}.tmp`);
      await writeFile(tmp, note, { mode: 0o600 });
      await rename(tmp, join(dir, 'checkpoint'));
      published = size;
    });
    return chain;
  };
}

async function openState(
  dir: string,
  o: CreateFileAuditSinkOptions,
  meta: LogMeta,
  signer: NoteSigner,
): Promise<OpenState> {
  const publish = checkpointPublisher(dir);
  const { resume, repairedBytes, lastSegment } = await scanForResume(dir);
  const storage = await FileStorage.open(
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

/** Reads the whole log to rebuild the tree; cuts a torn final line; refuses any other damage. */
async function scanForResume(
  dir: string,
): Promise<{ resume: LogResume; repairedBytes: number; lastSegment: string | undefined }> {
  const frontier = createFrontier();
  let size = 0;
  let last = '';
  let checkpointedSize = 0;
  let repairedBytes = 0;
  const segments = await listSegments(dir);
  for await (const line of readLines(dir)) {
    if (!line.complete) {
      const lastSegment = segments.at(-1);
      if (line.segment !== lastSegment?.path)
        throw corrupt(size, 'a segment other than the last ends mid-record');
      await truncate(line.segment, line.offset);
      repairedBytes = line.bytes.length;
      break;
    }
    const text = line.bytes.toString('utf8');
    const peek = peekEnvelope(text);
    if (peek === undefined || peek.i !== size || peek.p !== last)
      throw corrupt(size, 'the record does not continue the chain');
    const hash = leafHash(line.bytes);
    frontier.append(hash);
    last = hash.toString('hex');
    size++;
    if (text.includes('"kind":"checkpoint"')) {
      const record = (JSON.parse(text) as { r: { kind?: string } }).r;
      if (record.kind === 'checkpoint') checkpointedSize = size;
    }
  }
  const lastSegment = (await listSegments(dir)).at(-1)?.path;
  return {
    resume: { size, lastLeafHash: last, frontier: frontier.state(), checkpointedSize },
    repairedBytes,
    lastSegment,
  };
}

function corrupt(index: number, why: string): WritError {
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log is damaged at record ${index} (${why}): run writ verify; refusing to append`,
    {
      details: { reason: 'log_damaged', index },
    },
  );
}

/** Appends lines to segment files; rotates by size. */
/** The lines' bytes, each followed by a newline, in one buffer (the appender already encoded them). */
function joinLines(encoded: readonly { readonly bytes: Buffer }[]): Buffer {
  let length = 0;
  for (const e of encoded) length += e.bytes.length + 1;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const e of encoded) {
    at += e.bytes.copy(out, at);
    out[at++] = 0x0a;
  }
  return out;
}

class FileStorage implements LogStorage {
  private constructor(
    private readonly dir: string,
    private handle: FileHandle,
    private bytes: number,
    private next: number,
    private readonly maxSegmentBytes: number,
  ) {}

  static async open(
    dir: string,
    size: number,
    lastSegment: string | undefined,
    maxSegmentBytes: number,
  ): Promise<FileStorage> {
    const path = lastSegment ?? join(dir, segmentName(size));
    const handle = await open(path, 'a', 0o600);
    const { size: bytes } = await handle.stat();
    return new FileStorage(dir, handle, bytes, size, maxSegmentBytes);
  }

  async write(lines: readonly string[], options: LogWriteOptions): Promise<void> {
    if (this.bytes > 0 && this.bytes >= this.maxSegmentBytes) await this.rotate();
    const buffer =
      options.encoded === undefined
        ? Buffer.from(`${lines.join('\n')}\n`, 'utf8')
        : joinLines(options.encoded);
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    this.bytes += buffer.length;
    this.next += lines.length;
    if (options.sync) await this.handle.datasync();
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async rotate(): Promise<void> {
    await this.handle.datasync();
    await this.handle.close();
    this.handle = await open(join(this.dir, segmentName(this.next)), 'a', 0o600);
    this.bytes = 0;
  }
}

async function loadMeta(dir: string, o: CreateFileAuditSinkOptions): Promise<LogMeta> {
  const file = join(dir, 'log.json');
  try {
    const meta = JSON.parse(await readFile(file, 'utf8')) as LogMeta;
    if (meta.v !== 1 || typeof meta.origin !== 'string' || typeof meta.verifierKey !== 'string') {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${file} is not a Writ log description`);
    }
    return meta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const origin = `writ/audit/${randomUUID()}`;
  const signer = o.signer ?? (await loadOrCreateNoteSigner(o.keyDir ?? FILE_SINK_DEFAULTS.keyDir, origin));
  const meta: LogMeta = { v: 1, origin, verifierKey: signer.verifierKey, created: new Date().toISOString() };
  await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return meta;
}

/** One writer per log directory: `writer.lock` holds the writer's pid; a dead writer's lock is taken over. */
async function lock(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'writer.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `the audit log in ${dir} is being written by process ${pid}`,
          {
            details: { reason: 'locked', pid },
          },
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new WritError('WRIT_AUDIT_UNAVAILABLE', `could not lock the audit log in ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

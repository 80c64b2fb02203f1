import { randomUUID } from 'node:crypto';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import type { AppendOptions, AuditEvent, AuditReceipt, AuditSink } from '@writ/core/plugin';
import { openCheckpoint, signCheckpoint } from '../checkpoint/signed-checkpoint.js';
import type { NoteSigner } from '../checkpoint/signer-key.js';
import { type NoteVerifier, parseVerifierKey } from '../checkpoint/verifier-key.js';
import { createLogAppender, LOG_APPENDER_DEFAULTS, type LogAppender } from '../log-appender.js';
import { logSigner } from '../log-signer.js';
import { type LogSealingOptions, safeReporter, sealingOptionsShape } from '../sink-options.js';
import {
  connectionOptionsSchema,
  logIdSchema,
  POSTGRES_SINK_DEFAULTS,
  type PostgresConnectionOptions,
  resolvePool,
} from './postgres-connection.js';
import { migrate, tablesOf } from './postgres-schema.js';
import { type LogRow, PostgresWriter, type SessionId } from './postgres-writer.js';

/**
 * Options of {@link createPostgresAuditSink}: where the log lives (a pool or a connection string, and a
 * schema), which log, its key, and how often it is sealed.
 *
 * @example
 * ```ts
 * const options: CreatePostgresAuditSinkOptions = { pool, logId: 'support-agent', keyDir: '/run/secrets/writ' };
 * ```
 */
export interface CreatePostgresAuditSinkOptions extends PostgresConnectionOptions, LogSealingOptions {
  /**
   * The log to write: an existing one is continued, a missing one is created. Its origin is
   * `writ/audit/<logId>`; its key file in `keyDir` is `writ_audit_<logId>.note-key`.
   * @default a new log (a random UUID) for every sink
   */
  logId?: string;
}

/**
 * The PostgreSQL sink, with the log's identity and key.
 *
 * @example
 * ```ts
 * const audit: PostgresAuditSink = await createPostgresAuditSink({ pool, logId: 'support-agent' });
 * await verifyPostgresLog(audit.logId, { pool, verifierKey: audit.verifierKey });
 * ```
 */
export interface PostgresAuditSink extends AuditSink {
  readonly schema: string;
  readonly logId: string;
  /** The log's origin (first line of its checkpoints). */
  readonly origin: string;
  /** The C2SP verifier key of the checkpoint signer: give it to whoever verifies the log. */
  readonly verifierKey: string;
  /** Records in the log, including ones still being written. */
  readonly size: number;
  /** Appends a checkpoint now; returns the signed note. */
  checkpoint(): Promise<string>;
}

const optionsSchema = connectionOptionsSchema({ logId: logIdSchema.optional(), ...sealingOptionsShape });

interface WriterState {
  readonly writer: PostgresWriter;
  readonly appender: LogAppender;
  retired: boolean;
}

/**
 * The PostgreSQL audit sink: one log per sink, many sinks (and logs) per database. Each record is a row
 * of `<schema>.records` holding the exact stored bytes of the line, chained and sealed by an RFC 6962
 * tree with signed checkpoints, like the file sink. The tables are created on start (idempotent, safe
 * when many writers start at once).
 *
 * - One writer per log: the sink holds a session-level advisory lock on its log for its lifetime; a
 *   second sink for the same `logId` is refused with `WRIT_AUDIT_UNAVAILABLE`. It keeps that one
 *   connection out of the pool while open.
 * - Concurrent appends share one transaction with one multi-row INSERT (group commit). COMMIT is the
 *   durability point: `strict` appends resolve after it. `batched` appends are committed the same way,
 *   every batch, so they are as durable as `strict` ones (both rely on the server's
 *   `synchronous_commit`, `on` by default).
 * - After a failed write (a dropped connection), the next append takes a new connection, rescans the log
 *   from the database and continues it; while that is impossible appends are refused with
 *   `WRIT_AUDIT_UNAVAILABLE`, so the pipeline does not run the tool. Records whose COMMIT was cut off
 *   may or may not be in the log: the rescan decides, and the log stays consistent either way.
 * - The signing key is kept outside the database (`keyDir`), so whoever can write the tables cannot
 *   re-sign them.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const audit = await createPostgresAuditSink({ connectionString: process.env.DATABASE_URL, logId: 'support-agent' });
 * const writ = createWrit({ audit, policy });
 * console.log('verify', audit.logId, 'with', audit.verifierKey);
 * ```
 */
export async function createPostgresAuditSink(
  options: CreatePostgresAuditSinkOptions,
): Promise<PostgresAuditSink> {
  const o = validateOptions(
    optionsSchema,
    options,
    'createPostgresAuditSink',
  ) as CreatePostgresAuditSinkOptions;
  const schema = o.schema ?? POSTGRES_SINK_DEFAULTS.schema;
  const logId = o.logId ?? randomUUID();
  const tables = tablesOf(schema);
  const report = safeReporter(o.onError);
  const { pool, owned } = await resolvePool(o, report);
  let writer: PostgresWriter | undefined;
  try {
    await migrate(pool, tables);
    writer = await PostgresWriter.open(pool, tables, logId);
    const { log, signer } = await loadOrCreateLog(writer, logId, o);
    let state = await openState(writer, log, signer, o, report);
    let lastSession: SessionId = writer.session;
    let recovering: Promise<void> | undefined;
    let closed = false;

    const recover = async () => {
      const old = state;
      if (!old.retired) {
        old.retired = true;
        await old.writer.settled();
        old.writer.retire();
        await old.appender.close().catch(() => undefined); // stops its timers; nothing reaches the database
        old.writer.destroy();
      }
      const next = await PostgresWriter.open(pool, tables, logId, lastSession);
      try {
        state = await openState(next, log, signer, o, report);
        lastSession = next.session;
      } catch (error) {
        next.destroy();
        throw error;
      }
    };
    const ready = async () => {
      if (closed || (state.appender.failed === undefined && state.writer.broken === undefined)) return;
      recovering ??= recover().finally(() => {
        recovering = undefined;
      });
      await recovering.catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `the audit log ${logId} could not be reopened after a failure: ${reason}`,
          { cause: error, details: { ...(WritError.isInstance(error) ? error.details : {}), logId } },
        );
      });
    };

    const sink: PostgresAuditSink = {
      name: 'postgres',
      schema,
      logId,
      origin: log.origin,
      verifierKey: log.verifierKey,
      get size() {
        return state.appender.size;
      },
      async append(event: AuditEvent, appendOptions: AppendOptions): Promise<AuditReceipt> {
        await ready();
        return state.appender.append(event, appendOptions.durability);
      },
      async checkpoint() {
        await ready();
        return state.appender.checkpoint();
      },
      flush: () => state.appender.flush(),
      async close() {
        if (closed) return;
        // seal the log on a working connection when the last one failed
        await ready().catch(() => undefined);
        closed = true;
        try {
          await state.appender.close();
        } finally {
          await state.writer.close();
          if (owned) await pool.end().catch(() => undefined);
        }
      },
    };
    return sink;
  } catch (error) {
    writer?.destroy();
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }
}

async function loadOrCreateLog(
  writer: PostgresWriter,
  logId: string,
  o: CreatePostgresAuditSinkOptions,
): Promise<{ log: LogRow; signer: NoteSigner }> {
  const keys = { signer: o.signer, keyDir: o.keyDir ?? POSTGRES_SINK_DEFAULTS.keyDir };
  const existing = await writer.readLog();
  if (existing === undefined) {
    const origin = `writ/audit/${logId}`;
    const signer = await logSigner(keys, origin);
    const log: LogRow = { origin, verifierKey: signer.verifierKey };
    await writer.createLog(log);
    return { log, signer };
  }
  const signer = await logSigner(keys, existing.origin, {
    verifierKey: existing.verifierKey,
    details: { logId },
  });
  return { log: existing, signer };
}

async function openState(
  writer: PostgresWriter,
  log: LogRow,
  signer: NoteSigner,
  o: CreatePostgresAuditSinkOptions,
  report: (error: WritError) => void,
): Promise<WriterState> {
  const verifier = parseVerifierKey(log.verifierKey);
  const { resume, lastCheckpoint } = await writer.scan(POSTGRES_SINK_DEFAULTS.pageSize, {
    origin: log.origin,
    verifier,
  });
  if (lastCheckpoint !== undefined) {
    // a checkpoint committed just before a failure may not have been published: publish it now. It is
    // the note the appender published (same tree, same time line; Ed25519 signatures are deterministic).
    const { size, root, extensions } = lastCheckpoint;
    const published = signCheckpoint(
      { origin: log.origin, size, rootHash: root, extensions: [...extensions] },
      signer,
    );
    await writer.publishCheckpoint(size, published);
  }
  const appender = createLogAppender({
    origin: log.origin,
    signer,
    storage: writer,
    resume,
    checkpointEvery: o.checkpointEvery ?? LOG_APPENDER_DEFAULTS.checkpointEvery,
    checkpointIntervalMs: o.checkpointIntervalMs,
    clock: o.clock,
    onError: report,
    onCheckpoint: (published) => writer.publishCheckpoint(noteSize(published, verifier), published),
  });
  return { writer, appender, retired: false };
}

function noteSize(note: string, verifier: NoteVerifier): number {
  return openCheckpoint(note, [verifier]).size;
}

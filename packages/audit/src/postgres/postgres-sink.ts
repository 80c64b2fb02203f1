import { randomUUID } from 'node:crypto';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import type { AppendOptions, AuditEvent, AuditReceipt, AuditSink } from '@writ/core/plugin';
import { z } from 'zod';
import { openCheckpoint, signCheckpointWith } from '../checkpoint/signed-checkpoint.js';
import type { CheckpointSigner } from '../checkpoint/signer-key.js';
import { type NoteVerifier, parseVerifierKey } from '../checkpoint/verifier-key.js';
import { createLogAppender, LOG_APPENDER_DEFAULTS, type LogAppender } from '../log-appender.js';
import { type LogSealingOptions, safeReporter, sealingOptionsShape } from '../sink-options.js';
import { type WitnessEndpoint, type Witnessing, witnessesSchema } from '../witness/witnessing.js';
import {
  connectionOptionsSchema,
  logIdSchema,
  POSTGRES_SINK_DEFAULTS,
  type PostgresConnectionOptions,
  type PostgresPool,
  resolvePool,
} from './postgres-connection.js';
import { freeSlots, lockedError, newHolder } from './postgres-lease.js';
import { ensureLog, type LogRow } from './postgres-log-row.js';
import { migrate, type PostgresTables, tablesOf } from './postgres-schema.js';
import { postgresWitnessing } from './postgres-witnessing.js';
import { PostgresWriter } from './postgres-writer.js';

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
   * `writ/audit/<logId>`; its key file in `keyDir` is `writ_audit_<logId>.note-key`. With `slots`, the
   * name of the pool of logs.
   * @default a new log (a random UUID) for every sink
   */
  logId?: string;
  /**
   * A bounded pool of logs for serverless and autoscaled fleets: the sink takes the lease of a free log
   * among `<logId>-1` … `<logId>-<slots>` (one whose writer closed or whose lease expired) and continues
   * it, instead of creating a log per instance. Every slot free is refused: `WRIT_AUDIT_UNAVAILABLE`,
   * reason `no_free_slot`. Give the slots one key (`signer`): an instance has no key files of its own.
   * @default no pool: the one log `logId`
   */
  slots?: number;
  /**
   * How long the writer's lease lasts without renewal, ms; renewed every third of it while the sink is
   * open. A writer paused or cut off longer than this loses the log to the next writer and is fenced:
   * its appends are refused (`WRIT_AUDIT_UNAVAILABLE`, reason `fenced`). @default 30000
   */
  leaseMs?: number;
  /**
   * How much of an existing log is read back and checked on open: `'tail'` reads from the last published
   * checkpoint on (its tree state is signed, so a cold start costs O(records since then)); `'full'`
   * rereads and checks the whole log, as `verifyPostgresLog` does. Damage before the last checkpoint is
   * found by `verifyPostgresLog` either way. @default 'tail'
   */
  reopen?: 'tail' | 'full';
  /**
   * C2SP tlog-witnesses to cosign each checkpoint, as the file sink's `witnesses`: after a checkpoint is
   * published (the `checkpoints` row), each witness is asked in the background with a consistency proof
   * from the size it last cosigned, and the row's note is replaced by the same checkpoint with the valid
   * cosignatures appended, so `verifyPostgresLog(…, { witnesses })`, `writ verify --witness` and an
   * exported bundle see them. Refusals and unreachable witnesses go to `onError`, never to an append.
   */
  witnesses?: WitnessEndpoint[];
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

/**
 * Defaults of the writer lease of {@link createPostgresAuditSink}.
 *
 * @example
 * ```ts
 * const audit = await createPostgresAuditSink({ pool, logId: 'orders', leaseMs: POSTGRES_LEASE_DEFAULTS.leaseMs * 2 });
 * ```
 */
export const POSTGRES_LEASE_DEFAULTS = Object.freeze({
  /** Lease duration without renewal, ms (renewed every third of it). @default 30000 */
  leaseMs: 30_000,
});

const optionsSchema = connectionOptionsSchema({
  logId: logIdSchema.optional(),
  slots: z.number().int().min(1).max(1000).optional(),
  leaseMs: z.number().int().min(100).max(3_600_000).optional(),
  reopen: z.enum(['tail', 'full']).optional(),
  witnesses: witnessesSchema.optional(),
  ...sealingOptionsShape,
}).refine((o) => o.slots === undefined || o.logId !== undefined, {
  message: 'slots needs logId (the name of the pool of logs)',
  path: ['slots'],
});

interface WriterState {
  readonly log: LogRow & { readonly logId: string };
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
 * - One writer per log, by lease: the sink takes the log's lease (`<schema>.leases`: holder, epoch,
 *   expiry) and renews it; a second sink for the same `logId` is refused with `WRIT_AUDIT_UNAVAILABLE`
 *   (reason `locked`) while the lease is live. Each take increments the epoch, and every append is one
 *   statement conditional on the epoch, so a writer that lost its lease (paused past `leaseMs`) appends
 *   nothing: `WRIT_AUDIT_UNAVAILABLE`, reason `fenced`. No session state: it works through a
 *   transaction-mode pooler (PgBouncer, RDS Proxy without pinning) and holds no connection while idle.
 * - Reopening reads only the records since the last published checkpoint (the tree state is stored with
 *   it), so a cold start costs O(records since the last checkpoint), not a rescan of the log.
 * - `slots`: a bounded pool of logs for serverless; a new instance takes a free slot's lease.
 * - Concurrent appends share one multi-row INSERT (group commit). COMMIT is the durability point:
 *   `strict` appends resolve after it; `batched` appends are committed the same way, every batch (both
 *   rely on the server's `synchronous_commit`, `on` by default).
 * - After a failed write (a dropped connection), the next append takes the lease again (its own, or a
 *   free one), reads the log back and continues it; while that is impossible appends are refused with
 *   `WRIT_AUDIT_UNAVAILABLE`, so the pipeline does not run the tool. Records whose COMMIT was cut off
 *   may or may not be in the log: the read-back decides, and the log stays consistent either way.
 * - The signing key is kept outside the database (`keyDir`, or a `signer`, which may be remote), so
 *   whoever can write the tables cannot re-sign them.
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
  const name = o.logId ?? randomUUID();
  const tables = tablesOf(schema);
  const report = safeReporter(o.onError);
  const leaseMs = o.leaseMs ?? POSTGRES_LEASE_DEFAULTS.leaseMs;
  const holder = newHolder();
  const { pool, owned } = await resolvePool(o, report);
  const signers = new Map<string, CheckpointSigner>();
  let current = name; // the log being written (with slots, the slot taken)
  const witnessing = postgresWitnessing(pool, tables, o, () => current, report);
  const take = async (preferred?: string) => {
    const taken = await takeLog(pool, tables, {
      o,
      name,
      holder,
      leaseMs,
      signers,
      report,
      preferred,
      witnessing,
    });
    current = taken.log.logId;
    return taken;
  };
  try {
    await migrate(pool, tables);
    let state = await take();
    let recovering: Promise<void> | undefined;
    let closed = false;

    const recover = async () => {
      const old = state;
      if (!old.retired) {
        old.retired = true;
        await old.writer.settled();
        old.writer.retire(); // keeps why it broke (a fenced writer stays fenced)
        await old.appender.close().catch(() => undefined); // stops its timers; nothing reaches the database
        old.writer.destroy();
      }
      try {
        state = await take(old.log.logId);
      } catch (error) {
        // a writer fenced out of its log stays fenced while no log is free for it
        const lost = old.writer.broken;
        if (WritError.isInstance(lost) && lost.details?.reason === 'fenced') {
          throw new WritError('WRIT_AUDIT_UNAVAILABLE', lost.message, {
            cause: error,
            details: lost.details,
          });
        }
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
          `the audit log ${state.log.logId} could not be reopened after a failure: ${reason}`,
          {
            cause: error,
            details: { ...(WritError.isInstance(error) ? error.details : {}), logId: state.log.logId },
          },
        );
      });
    };

    const sink: PostgresAuditSink = {
      name: 'postgres',
      // every batch commits before the next is written: a record is durable once acknowledged
      orderedSync: true,
      schema,
      get logId() {
        return state.log.logId;
      },
      get origin() {
        return state.log.origin;
      },
      get verifierKey() {
        return state.log.verifierKey;
      },
      get size() {
        return state.appender.size;
      },
      async append(event: AuditEvent, appendOptions: AppendOptions): Promise<AuditReceipt> {
        await ready();
        // a task's start record waits for the task's next record: one write for both
        return state.appender.append(
          event,
          appendOptions.durability,
          appendOptions.writeWithNext === true ? WITH_NEXT : undefined,
        );
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
          await witnessing?.settled();
        } finally {
          await state.writer.close();
          if (owned) await pool.end().catch(() => undefined);
        }
      },
    };
    return sink;
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }
}

interface TakeOptions {
  readonly o: CreatePostgresAuditSinkOptions;
  /** The log, or with slots the pool's name. */
  readonly name: string;
  readonly holder: string;
  readonly leaseMs: number;
  readonly signers: Map<string, CheckpointSigner>;
  readonly report: (error: WritError) => void;
  /** With slots: the log to try first (the one this sink wrote last). */
  readonly preferred?: string | undefined;
  readonly witnessing?: Witnessing | undefined;
}

/**
 * Takes the lease of the sink's log (or of a free slot), reads it back and opens an appender on it.
 * Refused while another writer's lease is live (`locked`), or with slots while none is free (`no_free_slot`).
 */
async function takeLog(pool: PostgresPool, tables: PostgresTables, t: TakeOptions): Promise<WriterState> {
  const { o } = t;
  const candidates =
    o.slots === undefined
      ? [t.name]
      : [
          ...new Set([
            ...(t.preferred === undefined ? [] : [t.preferred]),
            ...(await freeSlots(pool, tables, t.name, o.slots)),
          ]),
        ];
  for (const logId of candidates) {
    const { log, signer } = await ensureLog(pool, tables, logId, t.signers, o);
    const writer = await PostgresWriter.tryOpen(pool, tables, logId, t.holder, t.leaseMs);
    if (writer === undefined) continue;
    try {
      return await openState(writer, { ...log, logId }, signer, o, t.report, t.witnessing);
    } catch (error) {
      writer.destroy();
      throw error;
    }
  }
  if (o.slots === undefined) throw await lockedError(pool, tables, t.name);
  throw new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `every one of the ${o.slots} audit log slots ${t.name}-1 … ${t.name}-${o.slots} in schema ${tables.schema} is being written`,
    { details: { reason: 'no_free_slot', slots: o.slots } },
  );
}

async function openState(
  writer: PostgresWriter,
  log: LogRow & { readonly logId: string },
  signer: CheckpointSigner,
  o: CreatePostgresAuditSinkOptions,
  report: (error: WritError) => void,
  witnessing?: Witnessing,
): Promise<WriterState> {
  const verifier = parseVerifierKey(log.verifierKey);
  const { resume, lastCheckpoint, published } = await writer.scan(
    POSTGRES_SINK_DEFAULTS.pageSize,
    { logId: log.logId, origin: log.origin, verifier },
    o.reopen ?? 'tail',
  );
  if (lastCheckpoint !== undefined && lastCheckpoint.size > published) {
    // a checkpoint committed just before a failure may not have been published: publish it now. It is
    // the note the appender published (same tree, same time line; Ed25519 signatures are deterministic).
    const { size, root, extensions, frontier } = lastCheckpoint;
    const note = await signCheckpointWith(
      { origin: log.origin, size, rootHash: root, extensions: [...extensions] },
      signer,
    );
    await writer.publishCheckpoint(size, note, frontier);
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
    onCheckpoint: async (note, at) => {
      await writer.publishCheckpoint(noteSize(note, verifier), note, at.frontier);
      witnessing?.submit(note);
    },
  });
  return { log, writer, appender, retired: false };
}

function noteSize(note: string, verifier: NoteVerifier): number {
  return openCheckpoint(note, [verifier]).size;
}

/** What a task's start record is appended with (`AppendOptions.writeWithNext`). */
const WITH_NEXT = Object.freeze({ withNext: true });

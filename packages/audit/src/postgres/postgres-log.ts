import { WritError } from '@writ/core';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import type { StoredLine } from '../log-reader.js';
import { type ReadVerifiedLogOptions, readVerifiedFrom, type VerifiedLog } from '../verify/verified-log.js';
import { verifyLines } from '../verify/verify-lines.js';
import type { VerifyLogOptions, VerifyResult } from '../verify/verify-options.js';
import {
  checkLogId,
  connectionOptionsSchema,
  POSTGRES_SINK_DEFAULTS,
  type PostgresConnectionOptions,
  type PostgresPool,
  pageSizeSchema,
  resolvePool,
  unavailable,
} from './postgres-connection.js';
import { type PostgresTables, tablesOf } from './postgres-schema.js';

/**
 * Options of {@link readPostgresLog}.
 *
 * @example
 * ```ts
 * const options: ReadPostgresLogOptions = { connectionString, schema: 'writ_audit', pageSize: 1000 };
 * ```
 */
export interface ReadPostgresLogOptions extends PostgresConnectionOptions {
  /** Rows fetched per query. @default 5000 */
  pageSize?: number;
}

const readSchema = connectionOptionsSchema({ pageSize: pageSizeSchema.optional() });

/**
 * Streams a log's stored lines in index order, exactly as stored (the `line` column's UTF-8 bytes, never
 * re-encoded), fetching pages by key (`idx > last`), so a log of any size reads in constant memory.
 * `segment` names the table and log; `offset` is the record's index.
 *
 * @example
 * ```ts
 * for await (const line of readPostgresLog('support-agent', { pool })) console.log(line.offset, line.bytes.length);
 * ```
 */
export function readPostgresLog(logId: string, options: ReadPostgresLogOptions): AsyncIterable<StoredLine> {
  checkLogId(logId, 'readPostgresLog');
  const o = validateOptions(readSchema, options, 'readPostgresLog') as ReadPostgresLogOptions;
  const tables = tablesOf(o.schema ?? POSTGRES_SINK_DEFAULTS.schema);
  const pageSize = o.pageSize ?? POSTGRES_SINK_DEFAULTS.pageSize;
  return {
    async *[Symbol.asyncIterator]() {
      const { pool, owned } = await resolvePool(o);
      try {
        yield* pages(pool, tables, logId, pageSize);
      } finally {
        if (owned) await pool.end().catch(() => undefined);
      }
    },
  };
}

async function* pages(
  pool: PostgresPool,
  tables: PostgresTables,
  logId: string,
  pageSize: number,
): AsyncGenerator<StoredLine> {
  const segment = `${tables.schema}.records/${logId}`;
  let after = -1;
  for (;;) {
    let rows: { idx: string; line: string }[];
    try {
      ({ rows } = await pool.query<{ idx: string; line: string }>(
        `SELECT idx, line FROM ${tables.records} WHERE log_id = $1 AND idx > $2 ORDER BY idx LIMIT $3`,
        [logId, after, pageSize],
      ));
    } catch (error) {
      throw unavailable(`could not read the audit log ${logId}`, error);
    }
    for (const row of rows) {
      after = Number(row.idx);
      yield { bytes: Buffer.from(row.line, 'utf8'), complete: true, segment, offset: after };
    }
    if (rows.length < pageSize) return;
  }
}

/**
 * Options of {@link verifyPostgresLog}: where the log is, and the checks of `verifyLog`.
 *
 * @example
 * ```ts
 * const options: VerifyPostgresLogOptions = { connectionString, verifierKey: pinnedKey, deep: true };
 * ```
 */
export interface VerifyPostgresLogOptions extends PostgresConnectionOptions, VerifyLogOptions {
  /** Rows fetched per query. @default 5000 */
  pageSize?: number;
}

const verifySchema = connectionOptionsSchema({
  pageSize: pageSizeSchema.optional(),
  verifierKey: z.string().min(1).optional(),
  checkpoint: z.string().min(1).optional(),
  deep: z.boolean().optional(),
  witnesses: z
    .strictObject({ keys: z.array(z.string()), threshold: z.number().int().positive().optional() })
    .optional(),
  onProgress: functionSchema<(records: number) => void>().optional(),
  onRecord: functionSchema<(index: number, bytes: Buffer) => void>().optional(),
});

/**
 * Verifies a PostgreSQL log with only a public key, with the checks of `verifyLog`: recomputes the RFC
 * 6962 tree from the stored bytes, follows the hash chain, checks every checkpoint, and compares the log
 * with its published checkpoint (the `checkpoints` row) and an independent one when given. Names the
 * first record that is not as written. Reads only; creates nothing.
 *
 * @example
 * ```ts
 * const result = await verifyPostgresLog('support-agent', { connectionString, verifierKey: pinnedKey });
 * if (!result.ok) console.error(`record ${result.firstBadIndex}: ${result.reason}`);
 * ```
 */
export async function verifyPostgresLog(
  logId: string,
  options: VerifyPostgresLogOptions,
): Promise<VerifyResult> {
  checkLogId(logId, 'verifyPostgresLog');
  const o = validateOptions(verifySchema, options, 'verifyPostgresLog') as VerifyPostgresLogOptions;
  const schema = o.schema ?? POSTGRES_SINK_DEFAULTS.schema;
  const tables = tablesOf(schema);
  const { pool, owned } = await resolvePool(o);
  try {
    let log: { origin: string; verifier_key: string; note: string | null } | undefined;
    try {
      const { rows } = await pool.query<{ origin: string; verifier_key: string; note: string | null }>(
        `SELECT l.origin, l.verifier_key, c.note
           FROM ${tables.logs} l LEFT JOIN ${tables.checkpoints} c ON c.log_id = l.log_id
          WHERE l.log_id = $1`,
        [logId],
      );
      log = rows[0];
    } catch (error) {
      throw unavailable(`could not read the audit log ${logId} in schema ${schema}`, error);
    }
    if (log === undefined) {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `schema ${schema} holds no Writ log ${logId}`, {
        details: { reason: 'no_log', logId },
      });
    }
    return await verifyLines(
      readPostgresLog(logId, { pool, schema, pageSize: o.pageSize ?? POSTGRES_SINK_DEFAULTS.pageSize }),
      {
        origin: log.origin,
        recordedVerifierKey: log.verifier_key,
        publishedCheckpoint: log.note ?? undefined,
        verifierKey: o.verifierKey,
        checkpoint: o.checkpoint,
        ...(o.witnesses === undefined ? {} : { witnesses: o.witnesses }),
        deep: o.deep,
        onProgress: o.onProgress,
        onRecord: o.onRecord,
      },
    );
  } finally {
    if (owned) await pool.end().catch(() => undefined);
  }
}

/**
 * Options of {@link readVerifiedPostgresLog}: where the log is, the checks of `verifyPostgresLog`, and
 * whether to verify at all.
 *
 * @example
 * ```ts
 * const options: ReadVerifiedPostgresLogOptions = { connectionString, verifierKey: pinnedKey };
 * ```
 */
export interface ReadVerifiedPostgresLogOptions
  extends Omit<VerifyPostgresLogOptions, 'onRecord'>,
    Pick<ReadVerifiedLogOptions, 'verify'> {}

/**
 * `readVerifiedLog` for a PostgreSQL log: verifies it (`verifyPostgresLog`) and reads its records in the
 * same pass, each marked with what its verification proves; when it does not verify, the records from
 * the first bad one on are read as they stand and marked `failed`.
 *
 * @example
 * ```ts
 * const { verification, records } = await readVerifiedPostgresLog('support-agent', { connectionString, verifierKey });
 * ```
 */
export async function readVerifiedPostgresLog(
  logId: string,
  options: ReadVerifiedPostgresLogOptions,
): Promise<VerifiedLog> {
  const { verify = true, ...verifyOptions } = options;
  const { connectionString, pool, schema, pageSize } = verifyOptions;
  const where = {
    ...(connectionString === undefined ? {} : { connectionString }),
    ...(pool === undefined ? {} : { pool }),
    ...(schema === undefined ? {} : { schema }),
    ...(pageSize === undefined ? {} : { pageSize }),
  } as ReadPostgresLogOptions;
  return readVerifiedFrom({
    verify: verify ? (onRecord) => verifyPostgresLog(logId, { ...verifyOptions, onRecord }) : undefined,
    lines: () => readPostgresLog(logId, where),
  });
}

import type { CheckpointSigner } from '../checkpoint/signer-key.js';
import { logSigner } from '../log-signer.js';
import { POSTGRES_SINK_DEFAULTS, type PostgresPool, unavailable } from './postgres-connection.js';
import type { PostgresTables } from './postgres-schema.js';

/** A log's row in `logs`. */
export interface LogRow {
  readonly origin: string;
  readonly verifierKey: string;
}

/** Where a sink's keys come from. */
export interface LogKeys {
  readonly signer?: CheckpointSigner | undefined;
  readonly keyDir?: string | undefined;
  readonly createKey?: boolean | undefined;
}

/**
 * The row of log `logId` and the signer that continues it, registering the log when it is new (origin
 * `writ/audit/<logId>`, the signer's verifier key). Two sinks registering one log at once agree on the
 * first row written; a signer whose key is not the recorded one is refused (`key_mismatch`).
 *
 * @internal
 */
export async function ensureLog(
  pool: PostgresPool,
  tables: PostgresTables,
  logId: string,
  signers: Map<string, CheckpointSigner>,
  keys: LogKeys,
): Promise<{ log: LogRow; signer: CheckpointSigner }> {
  const options = {
    signer: keys.signer,
    keyDir: keys.keyDir ?? POSTGRES_SINK_DEFAULTS.keyDir,
    createKey: keys.createKey,
  };
  let log = await readLog(pool, tables, logId);
  if (log === undefined) {
    const origin = `writ/audit/${logId}`;
    const signer = signers.get(logId) ?? (await logSigner(options, origin));
    signers.set(logId, signer);
    try {
      await pool.query(
        `INSERT INTO ${tables.logs} (log_id, origin, verifier_key) VALUES ($1, $2, $3) ON CONFLICT (log_id) DO NOTHING`,
        [logId, origin, signer.verifierKey],
      );
    } catch (error) {
      throw unavailable(`could not register the audit log ${logId}`, error);
    }
    log = await readLog(pool, tables, logId);
    if (log === undefined)
      throw unavailable(`the audit log ${logId} vanished after it was registered`, undefined);
  }
  const known = signers.get(logId);
  const signer = await logSigner({ ...options, signer: known ?? options.signer }, log.origin, {
    verifierKey: log.verifierKey,
    details: { logId },
  });
  signers.set(logId, signer);
  return { log, signer };
}

async function readLog(
  pool: PostgresPool,
  tables: PostgresTables,
  logId: string,
): Promise<LogRow | undefined> {
  try {
    const { rows } = await pool.query<{ origin: string; verifier_key: string }>(
      `SELECT origin, verifier_key FROM ${tables.logs} WHERE log_id = $1`,
      [logId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { origin: row.origin, verifierKey: row.verifier_key };
  } catch (error) {
    throw unavailable(`could not read the audit log ${logId}`, error);
  }
}

import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { segmentName } from '../log-reader.js';
import {
  connectionOptionsSchema,
  logIdSchema,
  POSTGRES_SINK_DEFAULTS,
  type PostgresClient,
  type PostgresConnectionOptions,
  pageSizeSchema,
  resolvePool,
  safeConnectionString,
  unavailable,
} from '../postgres/postgres-connection.js';
import { type PostgresTables, tablesOf } from '../postgres/postgres-schema.js';
import { BUNDLE_KIND, type FleetBundleLog, type FleetBundleManifest } from './bundle.js';
import { FLEET_SEALER_DEFAULTS } from './fleet-sealer.js';

/**
 * Options of {@link exportFleet}: where the fleet's logs are, and the directory to write the bundle to.
 *
 * @example
 * ```ts
 * const options: ExportFleetOptions = { connectionString: process.env.READONLY_URL, out: './evidence-2026-12-07' };
 * ```
 */
export interface ExportFleetOptions extends PostgresConnectionOptions {
  /** The bundle directory: created; refused when it exists and is not empty. */
  out: string;
  /** The fleet log's id. @default 'fleet' */
  fleetLogId?: string;
  /** Rows fetched per query. @default 5000 */
  pageSize?: number;
}

const optionsSchema = connectionOptionsSchema({
  out: z.string().min(1),
  fleetLogId: logIdSchema.optional(),
  pageSize: pageSizeSchema.optional(),
});

interface LogRowOut {
  log_id: string;
  origin: string;
  verifier_key: string;
  created_at: Date;
  note: string | null;
}

/**
 * Exports a fleet's PostgreSQL logs to a bundle directory that `writ verify --fleet` (and every command
 * that reads a log) takes offline: `fleet/` (the fleet log), `members/<log id>/` (each log the fleet log
 * endorses), each in the file log format (`log.json`, `000000000000.jsonl`, `checkpoint`) with every
 * record's bytes exactly the stored `line`, and `manifest.json`. Logs in the schema the fleet log never
 * endorsed are left out and listed in the manifest's `left`. Everything is read in one `REPEATABLE READ
 * READ ONLY` transaction (one snapshot of every log), so a read-only role is enough: `USAGE` on the schema
 * and `SELECT` on `logs`, `records` and `checkpoints`.
 *
 * @example
 * ```ts
 * const manifest = await exportFleet({ connectionString: process.env.READONLY_URL, out: './bundle' });
 * console.log(`${manifest.members.length} members exported`);
 * ```
 */
export async function exportFleet(options: ExportFleetOptions): Promise<FleetBundleManifest> {
  const o = validateOptions(optionsSchema, options, 'exportFleet') as ExportFleetOptions;
  const schema = o.schema ?? POSTGRES_SINK_DEFAULTS.schema;
  const tables = tablesOf(schema);
  const fleetLogId = o.fleetLogId ?? FLEET_SEALER_DEFAULTS.logId;
  const pageSize = o.pageSize ?? POSTGRES_SINK_DEFAULTS.pageSize;
  const out = resolve(o.out);
  await mkdir(out, { recursive: true, mode: 0o700 });
  if ((await readdir(out)).length > 0)
    throw new WritError('WRIT_OPTIONS_INVALID', `exportFleet: ${out} is not empty`, {
      details: { reason: 'out_not_empty', out },
    });
  const { pool, owned } = await resolvePool(o);
  let client: PostgresClient;
  try {
    client = await pool.connect();
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw unavailable('could not connect to PostgreSQL', error);
  }
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<LogRowOut>(
      `SELECT l.log_id, l.origin, l.verifier_key, l.created_at, c.note
         FROM ${tables.logs} l LEFT JOIN ${tables.checkpoints} c ON c.log_id = l.log_id ORDER BY l.log_id`,
    );
    const fleetRow = rows.find((r) => r.log_id === fleetLogId);
    if (fleetRow === undefined)
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `schema ${schema} holds no fleet log ${fleetLogId}`, {
        details: { reason: 'no_log', logId: fleetLogId },
      });
    const endorsed = new Set<string>();
    const fleet = await writeLog(client, tables, fleetRow, join(out, 'fleet'), pageSize, (line) => {
      const r = (JSON.parse(line) as { r?: { kind?: unknown; logId?: unknown } }).r;
      if (r?.kind === 'fleet-endorsement' && typeof r.logId === 'string') endorsed.add(r.logId);
    });
    const members: FleetBundleLog[] = [];
    const left: { logId: string; reason: string }[] = [];
    await mkdir(join(out, 'members'), { mode: 0o700 });
    for (const row of rows) {
      if (row.log_id === fleetLogId) continue;
      if (!endorsed.has(row.log_id)) {
        left.push({ logId: row.log_id, reason: 'not endorsed by the fleet log' });
        continue;
      }
      members.push(await writeLog(client, tables, row, join(out, 'members', row.log_id), pageSize));
    }
    await client.query('COMMIT');
    const manifest: FleetBundleManifest = {
      v: 1,
      kind: BUNDLE_KIND,
      exportedAt: new Date().toISOString(),
      source: `${o.connectionString === undefined ? '(a pool)' : safeConnectionString(o.connectionString)}#${schema}`,
      fleet,
      members,
      left,
    };
    await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    return manifest;
  } catch (error) {
    broken = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw unavailable(`could not export the fleet of schema ${schema}`, error);
  } finally {
    client.release(broken);
    if (owned) await pool.end().catch(() => undefined);
  }
}

/** Writes one log as a file log in `dir`: log.json, one segment of the stored lines, the checkpoint. */
async function writeLog(
  client: PostgresClient,
  tables: PostgresTables,
  row: LogRowOut,
  dir: string,
  pageSize: number,
  onLine?: (line: string) => void,
): Promise<FleetBundleLog> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const meta = {
    v: 1,
    origin: row.origin,
    verifierKey: row.verifier_key,
    created: row.created_at.toISOString(),
  };
  await writeFile(join(dir, 'log.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  const segment = await open(join(dir, segmentName(0)), 'wx', 0o600);
  let records = 0;
  try {
    let after = -1;
    for (;;) {
      const { rows } = await client.query<{ idx: string; line: string }>(
        `SELECT idx, line FROM ${tables.records} WHERE log_id = $1 AND idx > $2 ORDER BY idx LIMIT $3`,
        [row.log_id, after, pageSize],
      );
      if (rows.length > 0) {
        await segment.write(rows.map((r) => `${r.line}\n`).join(''));
        for (const r of rows) onLine?.(r.line);
        after = Number(rows[rows.length - 1]?.idx);
        records += rows.length;
      }
      if (rows.length < pageSize) break;
    }
    await segment.sync();
  } finally {
    await segment.close();
  }
  if (row.note !== null) await writeFile(join(dir, 'checkpoint'), row.note, { mode: 0o600, flag: 'wx' });
  return { logId: row.log_id, origin: row.origin, records };
}

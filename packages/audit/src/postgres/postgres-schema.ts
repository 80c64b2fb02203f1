import { createHash } from 'node:crypto';
import { WritError } from '@writ/core';
import { type PostgresPool, quoteSchema, unavailable } from './postgres-connection.js';

/**
 * Version of the tables this package writes and reads (recorded in `<schema>.schema_version`). A sink
 * refuses tables of a newer version.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query('SELECT max(version) AS v FROM writ_audit.schema_version');
 * if (rows[0].v !== POSTGRES_SCHEMA_VERSION) console.warn('Writ tables of another version');
 * ```
 */
export const POSTGRES_SCHEMA_VERSION = 2;

/** @internal the qualified, quoted names of the Writ tables in one schema. */
export interface PostgresTables {
  readonly schema: string;
  readonly version: string;
  readonly logs: string;
  readonly records: string;
  readonly checkpoints: string;
  readonly leases: string;
}

/** @internal */
export function tablesOf(schema: string): PostgresTables {
  const s = quoteSchema(schema);
  return {
    schema,
    version: `${s}.schema_version`,
    logs: `${s}.logs`,
    records: `${s}.records`,
    checkpoints: `${s}.checkpoints`,
    leases: `${s}.leases`,
  };
}

/**
 * A 64-bit advisory lock key for a purpose within a schema (decimal, for a `$n::bigint` parameter).
 *
 * @internal
 */
export function lockKey(...parts: readonly string[]): string {
  return createHash('sha256')
    .update(`writ/audit\0${parts.join('\0')}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/**
 * Creates the Writ tables in `schema` when they are missing. Idempotent and safe when many writers start
 * at once: one transaction under a transaction-level advisory lock (released at COMMIT, so it works
 * through a transaction-mode pooler); DDL runs only when the recorded version is older (version 1
 * tables are upgraded in place), so a writer role without CREATE privileges works once the tables exist.
 *
 * @internal
 */
export async function migrate(pool: PostgresPool, tables: PostgresTables): Promise<void> {
  let client: Awaited<ReturnType<PostgresPool['connect']>>;
  try {
    client = await pool.connect();
  } catch (error) {
    throw unavailable('could not connect to PostgreSQL', error);
  }
  let broken = false;
  client.on('error', () => {
    broken = true;
  });
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(tables.schema, 'migrate')]);
      const current = await installedVersion(client, tables);
      if (current > POSTGRES_SCHEMA_VERSION) {
        throw new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `schema ${tables.schema} holds Writ tables of version ${current}; this @writ/audit supports version ${POSTGRES_SCHEMA_VERSION}: upgrade @writ/audit`,
          { details: { reason: 'schema_version', version: current } },
        );
      }
      if (current < POSTGRES_SCHEMA_VERSION) {
        for (const statement of ddl(tables)) await client.query(statement);
        await client.query(
          `INSERT INTO ${tables.version} (version) VALUES ($1) ON CONFLICT (version) DO NOTHING`,
          [POSTGRES_SCHEMA_VERSION],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    broken = true;
    throw unavailable(`could not prepare the Writ tables in schema ${tables.schema}`, error);
  } finally {
    client.release(broken);
  }
}

/** @internal the newest version recorded in `schema_version`, 0 when the table does not exist. */
export async function installedVersion(
  client: Pick<PostgresPool, 'query'>,
  tables: PostgresTables,
): Promise<number> {
  const { rows } = await client.query<{ exists: string | null }>('SELECT to_regclass($1)::text AS exists', [
    tables.version,
  ]);
  if (rows[0]?.exists == null) return 0;
  const latest = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${tables.version}`,
  );
  return latest.rows[0]?.version ?? 0;
}

function ddl(t: PostgresTables): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteSchema(t.schema)}`,
    `CREATE TABLE IF NOT EXISTS ${t.version} (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE IF NOT EXISTS ${t.logs} (
      log_id text PRIMARY KEY,
      origin text NOT NULL UNIQUE,
      verifier_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE IF NOT EXISTS ${t.records} (
      log_id text NOT NULL REFERENCES ${t.logs} (log_id),
      idx bigint NOT NULL CHECK (idx >= 0),
      line text NOT NULL,
      leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
      PRIMARY KEY (log_id, idx)
    )`,
    `CREATE TABLE IF NOT EXISTS ${t.checkpoints} (
      log_id text PRIMARY KEY REFERENCES ${t.logs} (log_id),
      size bigint NOT NULL CHECK (size >= 0),
      note text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    // version 2: the tree state at the published checkpoint (a reopen reads only the records after it)
    `ALTER TABLE ${t.checkpoints} ADD COLUMN IF NOT EXISTS frontier text`,
    // version 2: the writer lease of each log, with its fencing epoch and the log's committed size
    `CREATE TABLE IF NOT EXISTS ${t.leases} (
      log_id text PRIMARY KEY REFERENCES ${t.logs} (log_id),
      holder text NOT NULL,
      epoch bigint NOT NULL CHECK (epoch > 0),
      expires_at timestamptz NOT NULL,
      size bigint CHECK (size >= 0),
      acquired_at timestamptz NOT NULL DEFAULT now()
    )`,
  ];
}

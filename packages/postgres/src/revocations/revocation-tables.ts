import { quoteSchema } from '../shared/pg-pool.js';

/**
 * The qualified names behind a PostgreSQL revocation list in one schema, and its NOTIFY channel.
 *
 * @internal
 */
export interface RevocationTables {
  readonly schema: string;
  /** One row: the last revocation sequence number handed out (its row lock orders the writers). */
  readonly sequence: string;
  /** `seq, jti, expires_at, reason, revoked_at, revoked_by`. */
  readonly revocations: string;
  /** The NOTIFY channel (`writ_revocations.<schema>`), already quoted for LISTEN. */
  readonly channel: string;
  readonly channelName: string;
}

/** @internal */
export function revocationTables(schema: string): RevocationTables {
  const s = quoteSchema(schema);
  const channelName = `writ_revocations.${schema}`;
  return {
    schema,
    sequence: `${s}.revocation_seq`,
    revocations: `${s}.revocations`,
    channel: `"${channelName}"`,
    channelName,
  };
}

/**
 * The DDL of the revocation tables (idempotent; PostgreSQL 14 or later). A trigger numbers every row
 * inserted, whoever inserts it and whatever `seq` it names, under the row lock of `revocation_seq`, held
 * until the writer commits: numbers are gap-free and become visible in order, so a replica that has read
 * up to `n` has every revocation numbered `n` or less, and no inserted row can make it skip one. The
 * trigger also sends the NOTIFY (after the row, delivered at commit). It runs as the tables' owner
 * (SECURITY DEFINER): writers need INSERT on `revocations` only.
 *
 * @internal
 */
export function revocationDdl(t: RevocationTables): string[] {
  const s = quoteSchema(t.schema);
  // the channel name is made of a validated schema name: safe as a literal
  const channel = `'${t.channelName}'`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteSchema(t.schema)}`,
    `CREATE TABLE IF NOT EXISTS ${t.sequence} (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       last bigint NOT NULL CHECK (last >= 0)
     )`,
    `INSERT INTO ${t.sequence} (id, last) VALUES (true, 0) ON CONFLICT (id) DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS ${t.revocations} (
       seq bigint PRIMARY KEY DEFAULT 0,
       jti text NOT NULL CHECK (length(jti) BETWEEN 1 AND 512),
       expires_at timestamptz NOT NULL,
       reason text NOT NULL CHECK (length(reason) <= 256),
       revoked_at timestamptz NOT NULL DEFAULT now(),
       revoked_by text NOT NULL CHECK (length(revoked_by) <= 256)
     )`,
    `CREATE INDEX IF NOT EXISTS revocations_expires_at ON ${t.revocations} (expires_at)`,
    `CREATE OR REPLACE FUNCTION ${s}.revocation_number() RETURNS trigger
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
     BEGIN
       UPDATE ${t.sequence} SET last = last + 1 RETURNING last INTO NEW.seq;
       NEW.revoked_at := now();
       RETURN NEW;
     END $fn$`,
    `CREATE OR REPLACE FUNCTION ${s}.revocation_notify() RETURNS trigger
       LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
     BEGIN
       PERFORM pg_notify(${channel}, NEW.seq::text);
       RETURN NULL;
     END $fn$`,
    `REVOKE ALL ON FUNCTION ${s}.revocation_number() FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${s}.revocation_notify() FROM PUBLIC`,
    `CREATE OR REPLACE TRIGGER revocations_number BEFORE INSERT ON ${t.revocations}
       FOR EACH ROW EXECUTE FUNCTION ${s}.revocation_number()`,
    `CREATE OR REPLACE TRIGGER revocations_notify AFTER INSERT ON ${t.revocations}
       FOR EACH ROW EXECUTE FUNCTION ${s}.revocation_notify()`,
  ];
}

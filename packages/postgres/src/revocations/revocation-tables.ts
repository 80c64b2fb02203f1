import { quoteSchema } from './connection.js';

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
 * The DDL of the revocation tables (idempotent). Sequence numbers are handed out under the row lock of
 * `revocation_seq`, held until the writer commits: numbers are gap-free and become visible in order, so a
 * replica that has read up to `n` has every revocation numbered `n` or less.
 *
 * @internal
 */
export function revocationDdl(t: RevocationTables): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteSchema(t.schema)}`,
    `CREATE TABLE IF NOT EXISTS ${t.sequence} (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       last bigint NOT NULL CHECK (last >= 0)
     )`,
    `INSERT INTO ${t.sequence} (id, last) VALUES (true, 0) ON CONFLICT (id) DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS ${t.revocations} (
       seq bigint PRIMARY KEY,
       jti text NOT NULL CHECK (length(jti) BETWEEN 1 AND 512),
       expires_at timestamptz NOT NULL,
       reason text NOT NULL CHECK (length(reason) <= 256),
       revoked_at timestamptz NOT NULL DEFAULT now(),
       revoked_by text NOT NULL CHECK (length(revoked_by) <= 256)
     )`,
    `CREATE INDEX IF NOT EXISTS revocations_expires_at ON ${t.revocations} (expires_at)`,
  ];
}

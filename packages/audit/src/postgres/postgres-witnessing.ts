import type { WritError } from '@writ/core';
import { consistencyProof } from '../merkle/proofs.js';
import { createWitnessing, type WitnessEndpoint, type Witnessing } from '../witness/witnessing.js';
import type { PostgresPool } from './postgres-connection.js';
import type { PostgresTables } from './postgres-schema.js';

/**
 * The witnessing of a PostgreSQL log (`witnesses` of `createPostgresAuditSink`): consistency proofs from
 * the stored leaf hashes, and the cosigned checkpoint published by replacing the `checkpoints` row's note
 * with the same checkpoint carrying more signature lines (never a smaller or another checkpoint).
 *
 * @example
 * ```ts
 * const witnessing = postgresWitnessing(pool, tables, { witnesses }, () => logId, report);
 * witnessing?.submit(note);
 * ```
 * @internal
 */
export function postgresWitnessing(
  pool: PostgresPool,
  tables: PostgresTables,
  o: { readonly witnesses?: readonly WitnessEndpoint[] | undefined },
  logId: () => string,
  report: (error: WritError) => void,
): Witnessing | undefined {
  if (o.witnesses === undefined || o.witnesses.length === 0) return undefined;
  return createWitnessing({
    witnesses: o.witnesses,
    onError: report,
    prove: async (oldSize, newSize) => {
      const { rows } = await pool.query<{ leaf_hash: Buffer }>(
        `SELECT leaf_hash FROM ${tables.records} WHERE log_id = $1 AND idx < $2 ORDER BY idx`,
        [logId(), newSize],
      );
      return consistencyProof(
        rows.map((r) => r.leaf_hash),
        oldSize,
        newSize,
      );
    },
    publish: async (cosigned) => {
      const size = Number(cosigned.split('\n')[1]);
      // the signed note as the log published it: its text, a blank line, the log's own signature line
      const split = cosigned.indexOf('\n\n');
      const own = cosigned.slice(0, cosigned.indexOf('\n', split + 2) + 1);
      await pool.query(
        `UPDATE ${tables.checkpoints} SET note = $3, updated_at = now()
          WHERE log_id = $1 AND size = $2 AND left(note, length($4)) = $4 AND length(note) < length($3)`,
        [logId(), size, cosigned, own],
      );
    },
  });
}

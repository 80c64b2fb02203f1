import { WritError } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { consistencyProof, verifyConsistency } from '../merkle/proofs.js';
import type { PostgresPool } from '../postgres/postgres-connection.js';
import type { PostgresTables } from '../postgres/postgres-schema.js';
import type { PostgresAuditSink } from '../postgres/postgres-sink.js';
import type { FleetEndorsementSource, FleetRecord } from './fleet-record.js';
import type { FleetState } from './fleet-state.js';

/**
 * One sealing round: for each member log in the schema, endorse its key when the trust rule allows,
 * then seal its newest published checkpoint once it verifies with the endorsed key and is consistent
 * with the checkpoint sealed before.
 */

/**
 * A log the sealer has not endorsed yet, as the `members` hook of the sealer sees it.
 *
 * @example
 * ```ts
 * const approve = ({ logId, verifierKey }: FleetCandidate) => registry.get(logId) === verifierKey;
 * ```
 */
export interface FleetCandidate {
  readonly logId: string;
  readonly origin: string;
  readonly verifierKey: string;
}

/**
 * Which member keys the sealer endorses: `'first-seen'` (trust on first use: the key a log has when the
 * sealer first sees it), a map of log id → verifier key (only those, with exactly that key), or a hook
 * returning whether to endorse a candidate (an operator's approval, a registry lookup).
 *
 * @example
 * ```ts
 * const members: FleetMembers = { 'orders-1': ordersKey1, 'orders-2': ordersKey2 };
 * ```
 */
export type FleetMembers =
  | 'first-seen'
  | Readonly<Record<string, string>>
  | ((candidate: FleetCandidate) => boolean | Promise<boolean>);

/**
 * What one sealing round did.
 *
 * @example
 * ```ts
 * const report: FleetSealReport | undefined = await sealer.sealNow();
 * console.log(`sealed ${report?.sealed.length} members`);
 * ```
 */
export interface FleetSealReport {
  /** Members endorsed in this round. */
  readonly endorsed: readonly string[];
  /** Members whose checkpoint was sealed in this round, with the sealed size. */
  readonly sealed: readonly { readonly logId: string; readonly size: number }[];
  /** Members left as they were, each with why (`WRIT_AUDIT_UNAVAILABLE`, `details.reason`). */
  readonly problems: readonly WritError[];
  /** The fleet log's checkpoint after the round, when anything was appended. */
  readonly checkpoint?: string;
}

interface MemberRow {
  log_id: string;
  origin: string;
  verifier_key: string;
  note: string | null;
}

/** @internal */
export interface RoundContext {
  readonly pool: PostgresPool;
  readonly tables: PostgresTables;
  readonly fleet: PostgresAuditSink;
  readonly state: FleetState;
  readonly members: FleetMembers;
  readonly now: () => string;
}

/** @internal runs one round on the fleet log `fleet` (open, verified, its records read into `state`). */
export async function sealRound(ctx: RoundContext): Promise<FleetSealReport> {
  const { pool, tables, fleet, state } = ctx;
  const { rows } = await pool.query<MemberRow>(
    `SELECT l.log_id, l.origin, l.verifier_key, c.note
       FROM ${tables.logs} l LEFT JOIN ${tables.checkpoints} c ON c.log_id = l.log_id
      WHERE l.log_id <> $1 ORDER BY l.log_id`,
    [fleet.logId],
  );
  const endorsed: string[] = [];
  const sealed: { logId: string; size: number }[] = [];
  const problems: WritError[] = [];
  const problem = (row: MemberRow, reason: string, message: string) =>
    problems.push(
      new WritError('WRIT_AUDIT_UNAVAILABLE', `fleet member ${row.log_id}: ${message}`, {
        details: { reason, logId: row.log_id },
      }),
    );
  const append = async (record: FleetRecord) => {
    const receipt = await fleet.append(record as unknown as AuditEvent, { durability: 'strict' });
    state.push(receipt.index, record);
  };
  for (const row of rows) {
    let member = state.members.get(row.log_id);
    if (member === undefined) {
      const by = await endorsement(ctx.members, row);
      if (by === undefined) {
        problem(row, 'member_not_endorsed', "its key is not endorsed (see the sealer's `members`)");
        continue;
      }
      await append({
        v: 1,
        kind: 'fleet-endorsement',
        time: ctx.now(),
        logId: row.log_id,
        origin: row.origin,
        verifierKey: row.verifier_key,
        by,
      });
      endorsed.push(row.log_id);
      member = state.members.get(row.log_id);
      if (member === undefined) continue;
    }
    const { endorsement: e } = member;
    if (row.verifier_key !== e.verifierKey || row.origin !== e.origin) {
      problem(row, 'member_key_changed', 'its recorded key or origin is not the one the fleet endorsed');
      continue;
    }
    if (row.note === null) continue;
    let cp: ReturnType<typeof openCheckpoint>;
    try {
      cp = openCheckpoint(row.note, [parseVerifierKey(e.verifierKey)]);
      if (cp.origin !== e.origin) throw new Error(`the checkpoint is of ${cp.origin}`);
    } catch (error) {
      problem(
        row,
        'member_checkpoint_invalid',
        `its published checkpoint does not verify with its endorsed key (${(error as Error).message})`,
      );
      continue;
    }
    const last = member.seals.at(-1);
    const lastSize = last?.size ?? 0;
    if (last !== undefined && cp.size <= last.size) {
      if (cp.size < last.size || !cp.rootHash.equals(last.root))
        problem(
          row,
          'member_rolled_back',
          `its checkpoint (${cp.size} records) is not an extension of the one sealed at ${last.size} records`,
        );
      continue;
    }
    if (cp.size === 0) continue;
    const leaves = await leafHashes(pool, tables, row.log_id, cp.size);
    const grewOnly =
      leaves.length === cp.size &&
      (last === undefined ||
        verifyConsistency(
          last.size,
          cp.size,
          last.root,
          cp.rootHash,
          consistencyProof(leaves, last.size, cp.size),
        ));
    if (!grewOnly) {
      problem(
        row,
        'member_inconsistent',
        `its records are not consistent with the checkpoint sealed at ${lastSize} records`,
      );
      continue;
    }
    await append({
      v: 1,
      kind: 'fleet-seal',
      time: ctx.now(),
      logId: row.log_id,
      size: cp.size,
      previousSize: lastSize,
      checkpoint: row.note,
    });
    sealed.push({ logId: row.log_id, size: cp.size });
  }
  const checkpoint = endorsed.length + sealed.length > 0 ? await fleet.checkpoint() : undefined;
  return { endorsed, sealed, problems, ...(checkpoint === undefined ? {} : { checkpoint }) };
}

async function endorsement(
  members: FleetMembers,
  row: MemberRow,
): Promise<FleetEndorsementSource | undefined> {
  if (members === 'first-seen') return 'first-seen';
  if (typeof members === 'function') {
    const candidate = { logId: row.log_id, origin: row.origin, verifierKey: row.verifier_key };
    return (await members(candidate)) === true ? 'approved' : undefined;
  }
  return Object.hasOwn(members, row.log_id) && members[row.log_id] === row.verifier_key
    ? 'configured'
    : undefined;
}

/** The stored leaf hashes of the first `size` records of a log, in index order. */
async function leafHashes(
  pool: PostgresPool,
  tables: PostgresTables,
  logId: string,
  size: number,
): Promise<Buffer[]> {
  const { rows } = await pool.query<{ leaf_hash: Buffer }>(
    `SELECT leaf_hash FROM ${tables.records} WHERE log_id = $1 AND idx < $2 ORDER BY idx`,
    [logId, size],
  );
  return rows.map((r) => r.leaf_hash);
}

import { z } from 'zod';

/**
 * The records of a fleet log: an ordinary Writ log (same envelope, tree and checkpoints, its own key)
 * whose records endorse member logs' keys and seal their checkpoints.
 */

/**
 * How a member log's key came to be endorsed: listed in the sealer's configuration (`configured`),
 * accepted by the operator's approval hook (`approved`), or trusted the first time the sealer saw the
 * log (`first-seen`, trust on first use).
 *
 * @example
 * ```ts
 * const by: FleetEndorsementSource = 'configured';
 * ```
 */
export type FleetEndorsementSource = 'configured' | 'approved' | 'first-seen';

/**
 * A fleet log record binding a member log (its log id and origin) to the verifier key its checkpoints
 * must carry. A member is endorsed once; a later key for the same log is refused by the sealer.
 *
 * @example
 * ```ts
 * const { r } = JSON.parse(line) as { r: FleetEndorsementRecord };
 * if (r.kind === 'fleet-endorsement') keys.set(r.logId, r.verifierKey);
 * ```
 */
export interface FleetEndorsementRecord {
  readonly v: 1;
  readonly kind: 'fleet-endorsement';
  /** When the sealer endorsed it (RFC 3339). */
  readonly time: string;
  readonly logId: string;
  /** The member log's origin (first line of its checkpoints). */
  readonly origin: string;
  /** The C2SP verifier key the member's checkpoints are signed with. */
  readonly verifierKey: string;
  readonly by: FleetEndorsementSource;
}

/**
 * A fleet log record sealing a member's checkpoint: the sealer verified the member's signed checkpoint
 * with its endorsed key and checked (consistency proof) that the member only grew since the checkpoint
 * sealed before (`previousSize`). From then on the member must keep the tree of `size` records.
 *
 * @example
 * ```ts
 * const { r } = JSON.parse(line) as { r: FleetSealRecord };
 * if (r.kind === 'fleet-seal') console.log(`${r.logId} sealed at ${r.size} records`);
 * ```
 */
export interface FleetSealRecord {
  readonly v: 1;
  readonly kind: 'fleet-seal';
  readonly time: string;
  readonly logId: string;
  /** The tree size of the sealed checkpoint. */
  readonly size: number;
  /** The size sealed before (0 for the first seal of the member). */
  readonly previousSize: number;
  /** The member's signed checkpoint note, as the member published it. */
  readonly checkpoint: string;
}

/**
 * A record of a fleet log.
 *
 * @example
 * ```ts
 * const describe = (r: FleetRecord) => (r.kind === 'fleet-seal' ? `seal ${r.logId}@${r.size}` : `endorse ${r.logId}`);
 * ```
 */
export type FleetRecord = FleetEndorsementRecord | FleetSealRecord;

const logId = z.string().min(1).max(128);

/** @internal the zod schemas of the fleet records (members of `logRecordSchema`). */
export const fleetRecordSchemas = [
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('fleet-endorsement'),
    time: z.iso.datetime(),
    logId,
    origin: z.string().min(1),
    verifierKey: z.string().min(1),
    by: z.enum(['configured', 'approved', 'first-seen']),
  }),
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('fleet-seal'),
    time: z.iso.datetime(),
    logId,
    size: z.number().int().nonnegative(),
    previousSize: z.number().int().nonnegative(),
    checkpoint: z.string().min(1),
  }),
] as const;

/**
 * Whether a record is a fleet log record (not an audit event or a checkpoint).
 *
 * @example
 * ```ts
 * const events = records.filter((r) => r.kind !== 'checkpoint' && !isFleetRecord(r));
 * ```
 */
export function isFleetRecord(record: { readonly kind: string }): record is FleetRecord {
  return record.kind === 'fleet-endorsement' || record.kind === 'fleet-seal';
}

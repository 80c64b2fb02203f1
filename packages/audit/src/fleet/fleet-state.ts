import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import type { LogRecord } from '../record.js';
import type { FleetEndorsementRecord } from './fleet-record.js';

/**
 * What a fleet log says, read record by record: each member's endorsed key and the checkpoints sealed
 * for it, in order. The sealer continues from it; `verifyFleet` checks the bundle against it.
 */

/**
 * One sealed checkpoint of a member, opened with the member's endorsed key.
 *
 * @example
 * ```ts
 * const last: SealedCheckpoint | undefined = state.members.get('orders-1')?.seals.at(-1);
 * ```
 */
export interface SealedCheckpoint {
  /** The index of the `fleet-seal` record in the fleet log. */
  readonly fleetIndex: number;
  readonly size: number;
  /** The RFC 6962 root of the member's first `size` records. */
  readonly root: Buffer;
  /** The member's signed note, as sealed. */
  readonly note: string;
}

/**
 * A member of the fleet: its endorsement and its seals.
 *
 * @example
 * ```ts
 * for (const [logId, m] of state.members) console.log(logId, m.endorsement.verifierKey, m.seals.length);
 * ```
 */
export interface FleetMemberState {
  readonly endorsement: FleetEndorsementRecord & { readonly fleetIndex: number };
  readonly seals: SealedCheckpoint[];
}

/**
 * A fleet log's members, built record by record ({@link FleetState.push}); `problem` names the first
 * record that contradicts the fleet rules (a second key for a member, a seal for a member never
 * endorsed, a seal whose note does not open with the endorsed key or shrinks the member).
 *
 * @example
 * ```ts
 * const state = new FleetState();
 * for (const { index, record } of records) if (record) state.push(index, record);
 * if (state.problem) console.error(`fleet record ${state.problem.index}: ${state.problem.reason}`);
 * ```
 */
export class FleetState {
  readonly members = new Map<string, FleetMemberState>();
  problem: { index: number; reason: string } | undefined;

  push(index: number, record: LogRecord): void {
    if (this.problem !== undefined) return;
    const fail = (reason: string) => {
      this.problem = { index, reason };
    };
    if (record.kind === 'fleet-endorsement') {
      const known = this.members.get(record.logId);
      if (known !== undefined) {
        if (known.endorsement.verifierKey !== record.verifierKey)
          fail(`member ${record.logId} is endorsed a second time with another key`);
        return;
      }
      this.members.set(record.logId, { endorsement: { ...record, fleetIndex: index }, seals: [] });
      return;
    }
    if (record.kind !== 'fleet-seal') return;
    const member = this.members.get(record.logId);
    if (member === undefined) {
      fail(`a seal of ${record.logId}, a log the fleet never endorsed`);
      return;
    }
    let size: number;
    let root: Buffer;
    try {
      const opened = openCheckpoint(record.checkpoint, [parseVerifierKey(member.endorsement.verifierKey)]);
      if (opened.origin !== member.endorsement.origin) throw new Error(`origin ${opened.origin}`);
      ({ size, rootHash: root } = opened);
    } catch (error) {
      fail(
        `the checkpoint sealed for ${record.logId} does not verify with its endorsed key (${(error as Error).message})`,
      );
      return;
    }
    const last = member.seals.at(-1);
    if (size !== record.size || (last !== undefined && size <= last.size)) {
      fail(`the seal of ${record.logId} at ${record.size} records does not follow its last seal`);
      return;
    }
    member.seals.push({ fleetIndex: index, size, root, note: record.checkpoint });
  }
}

import { createLeafHasher } from '../leaf-hasher.js';
import type { VerificationState } from '../verify/verification-state.js';
import { readVerifiedLog } from '../verify/verified-log.js';
import { defaultWorkers } from '../verify/verify-log.js';
import type { VerifyResult } from '../verify/verify-options.js';
import type { WitnessRequirement } from '../verify/witness-check.js';
import { openFleetBundle } from './bundle.js';
import { FleetState } from './fleet-state.js';
import { type MemberJob, type MemberVerdict, verifyMember } from './verify-member.js';

/**
 * Options of {@link verifyFleet}.
 *
 * @example
 * ```ts
 * const options: VerifyFleetOptions = { fleetKey: process.env.WRIT_FLEET_KEY, checkpoint: keptFleetNote };
 * ```
 */
export interface VerifyFleetOptions {
  /**
   * The fleet log's verifier key, obtained independently of the bundle (pinned). Without it the fleet
   * log is verified with the key it names itself, and nothing is proven (`unpinned`).
   */
  fleetKey?: string;
  /** A checkpoint of the fleet log kept outside it: the fleet log's anchor. */
  checkpoint?: string;
  /** Witnesses that must have cosigned the fleet log's newest published checkpoint. */
  witnesses?: WitnessRequirement;
  /** Also validate every record against the record schema. @default false */
  deep?: boolean;
  /**
   * Worker threads reading and hashing the member logs (all members share them; each member's tree is
   * built on the calling thread while they hash the next ranges). 0: everything on the calling thread.
   * @default one per core (`os.availableParallelism()`), at most 4
   */
  workers?: number;
}

/**
 * One problem of a fleet bundle: the log (`fleet`, a member's log id, or a directory of `members/` the
 * fleet does not know), the first record that is not as it should be (`null` when the log as a whole is
 * missing or unknown), and why.
 *
 * @example
 * ```ts
 * const line = `${p.log}${p.index === null ? '' : ` record ${p.index}`}: ${p.reason}`;
 * ```
 */
export interface FleetProblem {
  readonly log: string;
  readonly index: number | null;
  readonly reason: string;
}

/**
 * The verdict on a fleet bundle.
 *
 * @example
 * ```ts
 * const result: VerifyFleetResult = await verifyFleet('./bundle', { fleetKey });
 * if (!result.ok) console.error(`${result.firstBad?.log} ${result.firstBad?.index}: ${result.firstBad?.reason}`);
 * ```
 */
export interface VerifyFleetResult {
  readonly ok: boolean;
  /** The weakest state of the fleet log and every member (`failed` when anything fails). */
  readonly state: VerificationState;
  readonly fleet: VerifyResult;
  readonly members: readonly MemberVerdict[];
  /** Every problem found, fleet log first, then members by log id, then completeness. */
  readonly problems: readonly FleetProblem[];
  readonly firstBad?: FleetProblem;
  /** Records verified in all logs. */
  readonly records: number;
  /** Worker threads that read and hashed the member logs (0: the calling thread). */
  readonly workers: number;
  readonly ms: number;
}

const STRENGTH: Record<VerificationState, number> = { anchored: 3, unanchored: 2, unpinned: 1, failed: 0 };

/**
 * Verifies a fleet bundle offline: the fleet log with the fleet key; each member with the key the fleet
 * log endorsed for it, anchored by its newest sealed checkpoint; that each member still holds the tree of
 * every checkpoint sealed for it (no sealed prefix lost or rewritten); and completeness both ways (every
 * log in `members/` is a member the fleet endorsed, every endorsed member is in the bundle). Members are
 * verified one after another, their logs read and hashed in byte ranges by worker threads (one per core)
 * in parallel. Names the first bad (log, record index).
 *
 * @example
 * ```ts
 * const result = await verifyFleet('./bundle', { fleetKey: process.env.WRIT_FLEET_KEY });
 * console.log(result.state, `${result.records} records in ${result.members.length} members`);
 * ```
 */
export async function verifyFleet(
  bundle: string,
  options: VerifyFleetOptions = {},
): Promise<VerifyFleetResult> {
  const started = performance.now();
  const { fleetDir, memberDirs } = await openFleetBundle(bundle);
  const read = await readVerifiedLog(fleetDir, {
    ...(options.fleetKey === undefined ? {} : { verifierKey: options.fleetKey }),
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
    ...(options.witnesses === undefined ? {} : { witnesses: options.witnesses }),
    ...(options.deep === undefined ? {} : { deep: options.deep }),
  });
  const fleet = read.verification as VerifyResult;
  const problems: FleetProblem[] = [];
  const finish = (members: MemberVerdict[], workers: number): VerifyFleetResult => {
    const states = [fleet.state, ...members.map((m) => m.state)];
    let state = states.reduce((a, b) => (STRENGTH[b] < STRENGTH[a] ? b : a), 'anchored');
    if (problems.length > 0) state = 'failed';
    else if (!fleet.keyPinned) state = 'unpinned';
    return {
      ok: problems.length === 0,
      state,
      fleet,
      members,
      problems,
      ...(problems[0] === undefined ? {} : { firstBad: problems[0] }),
      records: fleet.records + members.reduce((n, m) => n + m.records, 0),
      workers,
      ms: performance.now() - started,
    };
  };
  if (!fleet.ok) {
    problems.push({
      log: 'fleet',
      index: fleet.firstBadIndex ?? 0,
      reason: fleet.reason ?? 'does not verify',
    });
    return finish([], 0);
  }
  const state = new FleetState();
  for (const { index, record } of read.records) if (record !== undefined) state.push(index, record);
  if (state.problem !== undefined) {
    problems.push({ log: 'fleet', ...state.problem });
    return finish([], 0);
  }
  const jobs: MemberJob[] = [];
  for (const [logId, member] of state.members) {
    const dir = memberDirs.get(logId);
    if (dir === undefined) continue;
    const anchor = member.seals.at(-1)?.note;
    jobs.push({
      logId,
      dir,
      origin: member.endorsement.origin,
      verifierKey: member.endorsement.verifierKey,
      seals: member.seals.map((s) => ({
        size: s.size,
        root: s.root.toString('base64'),
        fleetIndex: s.fleetIndex,
      })),
      ...(anchor === undefined ? {} : { anchor }),
      ...(options.deep === undefined ? {} : { deep: options.deep }),
    });
  }
  const workers = jobs.length === 0 ? 0 : Math.max(0, options.workers ?? defaultWorkers());
  const hasher = workers > 0 ? createLeafHasher(workers) : null;
  const verdicts: MemberVerdict[] = [];
  try {
    for (const job of jobs) verdicts.push(await verifyMember(job, hasher));
  } finally {
    await hasher?.close();
  }
  const threads = hasher?.workers ?? 0;
  verdicts.sort((a, b) => (a.logId < b.logId ? -1 : a.logId > b.logId ? 1 : 0));
  for (const v of verdicts)
    if (!v.ok)
      problems.push({ log: v.logId, index: v.firstBadIndex ?? 0, reason: v.reason ?? 'does not verify' });
  for (const name of memberDirs.keys())
    if (!state.members.has(name))
      problems.push({
        log: name,
        index: null,
        reason: 'in the bundle, but not a member of the fleet (the fleet log never endorsed it)',
      });
  for (const [logId, member] of state.members)
    if (!memberDirs.has(logId))
      problems.push({
        log: logId,
        index: null,
        reason: `a member of the fleet (endorsed at fleet record ${member.endorsement.fleetIndex}${member.seals.length > 0 ? `, sealed at ${member.seals.at(-1)?.size} records` : ''}) missing from the bundle`,
      });
  return finish(verdicts, threads);
}

import { readLogMeta } from '../file/log-meta.js';
import type { LeafHasher } from '../leaf-hasher.js';
import type { VerificationState } from '../verify/verification-state.js';
import { verifyLogWith } from '../verify/verify-log.js';
import type { WitnessRequirement } from '../verify/witness-check.js';

/**
 * The verification of one member of a fleet bundle, in a worker or in the calling thread: the log with
 * its endorsed key, anchored by its newest sealed checkpoint, and the tree of every sealed size.
 */

/**
 * What a member is checked against (all of it from the verified fleet log).
 *
 * @example
 * ```ts
 * const job: MemberJob = { logId: 'orders-1', dir, origin, verifierKey, seals: [] };
 * ```
 */
export interface MemberJob {
  readonly logId: string;
  readonly dir: string;
  readonly origin: string;
  /** The endorsed verifier key. */
  readonly verifierKey: string;
  /** Every sealed checkpoint: size, base64 root, the fleet record that sealed it; in order. */
  readonly seals: readonly { readonly size: number; readonly root: string; readonly fleetIndex: number }[];
  /** The newest sealed note (the anchor). */
  readonly anchor?: string | undefined;
  readonly witnesses?: WitnessRequirement | undefined;
  readonly deep?: boolean | undefined;
}

/**
 * The verdict on one member.
 *
 * @example
 * ```ts
 * if (!verdict.ok) console.error(`${verdict.logId} record ${verdict.firstBadIndex}: ${verdict.reason}`);
 * ```
 */
export interface MemberVerdict {
  readonly logId: string;
  readonly ok: boolean;
  readonly state: VerificationState;
  readonly records: number;
  /** Records covered by its newest sealed checkpoint. */
  readonly sealed: number;
  readonly firstBadIndex?: number;
  readonly reason?: string;
  readonly ms: number;
}

/**
 * Verifies one member (see {@link MemberJob}): its log read and hashed by `hasher`'s workers, or, with
 * `null`, all in the calling thread; without either, as `verifyLog` decides.
 *
 * @example
 * ```ts
 * const verdict = await verifyMember(job, hasher);
 * ```
 */
export async function verifyMember(job: MemberJob, hasher?: LeafHasher | null): Promise<MemberVerdict> {
  const started = performance.now();
  const sealed = job.seals.at(-1)?.size ?? 0;
  const done = (v: Omit<MemberVerdict, 'logId' | 'ms' | 'sealed'>): MemberVerdict => ({
    logId: job.logId,
    sealed,
    ...v,
    ms: performance.now() - started,
  });
  let meta: { origin: string; verifierKey: string };
  try {
    meta = await readLogMeta(job.dir);
  } catch (error) {
    return done({
      ok: false,
      state: 'failed',
      records: 0,
      firstBadIndex: 0,
      reason: (error as Error).message,
    });
  }
  if (meta.origin !== job.origin)
    return done({
      ok: false,
      state: 'failed',
      records: 0,
      firstBadIndex: 0,
      reason: `the log's origin is ${meta.origin}, the fleet endorsed ${job.origin}`,
    });
  const unendorsed = meta.verifierKey !== job.verifierKey;
  // the root at every sealed size, from the tree of the records the verifier accepted
  const roots = new Map<number, string>();
  const result = await verifyLogWith(
    job.dir,
    {
      verifierKey: job.verifierKey,
      ...(job.anchor === undefined ? {} : { checkpoint: job.anchor }),
      ...(job.witnesses === undefined ? {} : { witnesses: job.witnesses }),
      ...(job.deep === undefined ? {} : { deep: job.deep }),
      ...(hasher === undefined ? {} : { threads: hasher !== null }),
    },
    {
      rootsAt: { sizes: new Set(job.seals.map((s) => s.size)), found: roots },
      ...(hasher === undefined || hasher === null ? {} : { hasher }),
    },
  );
  const keyNote = unendorsed ? 'signed with a key the fleet did not endorse: ' : '';
  if (!result.ok)
    return done({
      ok: false,
      state: 'failed',
      records: result.records,
      firstBadIndex: result.firstBadIndex ?? 0,
      reason: `${keyNote}${result.reason ?? 'does not verify'}`,
    });
  if (unendorsed)
    return done({
      ok: false,
      state: 'failed',
      records: result.records,
      firstBadIndex: 0,
      reason: 'log.json names a key the fleet did not endorse',
    });
  for (const seal of job.seals) {
    const root = roots.get(seal.size);
    if (root === undefined)
      return done({
        ok: false,
        state: 'failed',
        records: result.records,
        firstBadIndex: result.records,
        reason: `lost a sealed prefix: fleet record ${seal.fleetIndex} sealed ${seal.size} records, the log holds ${result.records}`,
      });
    if (root !== seal.root)
      return done({
        ok: false,
        state: 'failed',
        records: result.records,
        firstBadIndex: seal.size - 1,
        reason: `rewrote a sealed prefix: its first ${seal.size} records are not the tree fleet record ${seal.fleetIndex} sealed`,
      });
  }
  return done({
    ok: true,
    state: job.seals.length === 0 ? 'unanchored' : result.state,
    records: result.records,
  });
}

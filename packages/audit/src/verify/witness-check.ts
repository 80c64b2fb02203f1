import { type Cosignature, verifyCosignatures, witnessThreshold } from '../witness/cosignature.js';

/**
 * The witness requirement of verification: the log's newest published checkpoint must carry valid
 * `cosignature/v1` lines from at least `threshold` of the given witness keys.
 */

/**
 * Which witnesses a verification requires (`verifyLog(dir, { witnesses })`, `writ verify --witness`).
 *
 * @example
 * ```ts
 * const witnesses: WitnessRequirement = { keys: [witnessA, witnessB, witnessC], threshold: 2 };
 * const result = await verifyLog('.writ/audit', { verifierKey, witnesses });
 * ```
 */
export interface WitnessRequirement {
  /** Witness verifier keys (type 0x04), obtained independently of the log. */
  readonly keys: readonly string[];
  /** How many of them must have cosigned. @default every key */
  readonly threshold?: number;
}

/**
 * What verification found about the witness requirement (`VerifyResult.witnesses`).
 *
 * - `no-published-checkpoint`: the log publishes no checkpoint to carry cosignatures;
 * - `too-few-cosignatures`: its published checkpoint carries fewer than `threshold` valid cosignatures
 *   from the given keys (never witnessed, or a checkpoint the log's key holder signed anew, e.g. after
 *   cutting the log back: a witness refuses to cosign a rollback or a fork);
 * - `not-newest`: the cosigned checkpoint is older than the newest checkpoint inside the log, which no
 *   witness vouched for (the published checkpoint was rolled back, or witnessing failed since).
 *
 * @example
 * ```ts
 * const { witnesses } = await verifyLog(dir, { verifierKey, witnesses: { keys, threshold: 1 } });
 * if (witnesses?.ok === false) console.error(`not witnessed: ${witnesses.problem}`);
 * ```
 */
export interface WitnessVerdict {
  readonly ok: boolean;
  readonly threshold: number;
  /** The size of the checkpoint the cosignatures are on (the published one), when there is one. */
  readonly size: number | null;
  /** The valid cosignatures by the given keys, one per key. */
  readonly cosignatures: readonly Cosignature[];
  readonly problem: 'no-published-checkpoint' | 'too-few-cosignatures' | 'not-newest' | null;
}

/**
 * Checks the cosignatures of the published checkpoint `note` (already opened with the log's key).
 * Bad witness keys or threshold throw `WRIT_OPTIONS_INVALID`.
 *
 * @example
 * ```ts
 * const verdict = checkWitnesses(options.publishedCheckpoint, options.witnesses);
 * if (verdict.ok) target.anchor = true;
 * ```
 * @internal
 */
export function checkWitnesses(note: string | undefined, requirement: WitnessRequirement): WitnessVerdict {
  // bad keys or threshold are the caller's error, not the log's: they throw
  const { threshold } = witnessThreshold(requirement.keys, requirement.threshold);
  if (note === undefined) {
    return { ok: false, threshold, size: null, cosignatures: [], problem: 'no-published-checkpoint' };
  }
  let result: ReturnType<typeof verifyCosignatures>;
  try {
    result = verifyCosignatures(note, requirement.keys, { threshold });
  } catch (error) {
    if ((error as { code?: string }).code === 'WRIT_OPTIONS_INVALID') throw error;
    // a malformed published note is named by the checkpoint checks
    return { ok: false, threshold, size: null, cosignatures: [], problem: 'too-few-cosignatures' };
  }
  return {
    ok: result.ok,
    threshold,
    size: result.checkpoint.size,
    cosignatures: result.cosignatures,
    problem: result.ok ? null : 'too-few-cosignatures',
  };
}

/**
 * The reason a verdict names for a witness requirement that is not met.
 *
 * @example
 * ```ts
 * if (!verdict.ok) return fail(0, witnessReason(verdict, keys.length, sealed));
 * ```
 * @internal
 */
export function witnessReason(verdict: WitnessVerdict, keys: number, sealed: number): string {
  switch (verdict.problem) {
    case 'no-published-checkpoint':
      return `not witnessed: the log publishes no checkpoint, so no cosignature by the ${keys} witness key(s) given`;
    case 'not-newest':
      return `not witnessed: the cosigned checkpoint covers ${verdict.size} records, but the log was sealed again at record ${sealed} without a cosignature: the published checkpoint was rolled back, or witnessing failed since`;
    default:
      return `not witnessed: the published checkpoint carries ${verdict.cosignatures.length} valid cosignature(s) by the given witness keys, ${verdict.threshold} required (a witness refuses to cosign a rollback or a fork)`;
  }
}

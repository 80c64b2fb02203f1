/**
 * What a verification proves. Checks that pass prove the records are as the signing key sealed them
 * only when that key came from outside the log (pinned), and prove the log was not cut back or rolled
 * back only against a checkpoint held outside it (an anchor: `checkpoint`; later witness cosignatures
 * and fleet logs).
 */

/**
 * The verdict on a log, strongest first:
 *
 * - `anchored`: every check passed with a pinned key, and the log contains the tree of a checkpoint
 *   the verifier holds from elsewhere.
 * - `unanchored`: every check passed with a pinned key, and nothing outside the log says how long it
 *   was: it cannot rule out a cut after one of its checkpoints, or a rollback to an older copy.
 * - `unpinned`: every check passed with the key the log names itself, which proves nothing against
 *   someone who rewrote the log and re-signed it with a key of their own.
 * - `failed`: a record is not as written (the first one is named).
 *
 * @example
 * ```ts
 * const { state } = await verifyLog('.writ/audit', { verifierKey, checkpoint: keptNote });
 * if (state !== 'anchored') throw new Error(`the evidence is ${state}`);
 * ```
 */
export type VerificationState = 'anchored' | 'unanchored' | 'unpinned' | 'failed';

const CUT =
  'truncation at a seal: records after one of its checkpoints could have been cut off, with the published checkpoint deleted or replaced by an older copy';
const ROLLBACK = 'rollback: the whole log could be an older copy of itself';
const RESIGNED =
  'replacement: a log rewritten and re-signed with another key (its log.json naming that key) passes every check that takes the key from the log';

/**
 * The state of a verdict, and what that state cannot rule out (one sentence per thing, empty when
 * nothing is left open).
 *
 * @example
 * ```ts
 * const { state, unproven } = verificationState({ ok: true, keyPinned: true, records: 40 });
 * // state 'unanchored'; unproven names truncation at a seal and rollback
 * ```
 * @internal
 */
export function verificationState(verdict: {
  readonly ok: boolean;
  readonly keyPinned: boolean;
  readonly records: number;
  /** Records under a checkpoint signature that verified. @default records */
  readonly covered?: number | undefined;
  readonly anchorSize?: number | undefined;
  readonly firstBadIndex?: number | undefined;
}): { state: VerificationState; unproven: string[] } {
  const { ok, keyPinned, records, covered = records, anchorSize, firstBadIndex } = verdict;
  if (!ok) return { state: 'failed', unproven: [`nothing from record ${firstBadIndex ?? 0} on is proven`] };
  if (!keyPinned) return { state: 'unpinned', unproven: [RESIGNED, CUT, ROLLBACK] };
  const unsealed =
    covered < records
      ? [
          `the ${records - covered} record(s) from record ${covered} on are under no checkpoint signature yet: whoever can write the log could have changed or added them without the key`,
        ]
      : [];
  if (anchorSize === undefined) return { state: 'unanchored', unproven: [CUT, ROLLBACK, ...unsealed] };
  return {
    state: 'anchored',
    unproven: [
      ...(anchorSize >= records
        ? []
        : [
            `the ${records - anchorSize} record(s) after the ${anchorSize} the independent checkpoint covers are not anchored: records after a later checkpoint could have been cut off`,
          ]),
      ...unsealed,
    ],
  };
}

import type { VerificationState } from './verification-state.js';
import type { WitnessRequirement, WitnessVerdict } from './witness-check.js';

/**
 * Options of {@link verifyLog}.
 *
 * @example
 * ```ts
 * const options: VerifyLogOptions = {
 *   verifierKey: process.env.WRIT_VERIFIER_KEY, // from your key registry, not from the log
 *   checkpoint: witnessedNote, // a checkpoint a witness kept: the log must still contain its tree
 *   deep: true,
 *   onProgress: (n) => console.error(`${n} records`),
 * };
 * const result = await verifyLog('.writ/audit', options);
 * ```
 */
export interface VerifyLogOptions {
  /**
   * The C2SP verifier key to check checkpoints with, obtained independently of the log (pinned).
   * @default the key recorded in the log's log.json (reported as not pinned)
   */
  verifierKey?: string;
  /**
   * A checkpoint note obtained independently (a copy kept off the log's host): the log must contain its
   * tree. With a pinned key, this anchors the log (state `anchored`).
   */
  checkpoint?: string;
  /**
   * Witness keys and how many of them must have cosigned the log's newest published checkpoint (C2SP
   * `cosignature/v1`). When met, that checkpoint anchors the log (state `anchored`); when not, the
   * verdict fails with a reason starting `not witnessed:` and `witnesses.problem` says why. Bad keys or
   * threshold throw `WRIT_OPTIONS_INVALID`.
   */
  witnesses?: WitnessRequirement;
  /** Also validate every record against the record schema. @default false */
  deep?: boolean;
  /** Called every 10,000 records with the count so far. */
  onProgress?: (records: number) => void;
  /**
   * Hash records on a worker thread (file logs only).
   * @default true for logs of 16 MiB or more
   */
  threads?: boolean;
  /**
   * A line longer than this is a finding (the log is not as written from there), never read whole (file
   * logs only). @default 268435456 (256 MiB)
   */
  maxRecordBytes?: number;
  /**
   * Called with each record the verifier accepts, in index order, with the bytes it verified: build what
   * you show from these, not from a second read. The buffer may be reused after the call: copy or parse
   * what you keep. Records from the first bad one on are never passed.
   */
  onRecord?: (index: number, bytes: Buffer) => void;
}

/**
 * The verdict on a log. Read `state` for what it proves: `ok` only says that no check failed, which
 * proves nothing when the key was read from the log itself (`unpinned`).
 *
 * @example
 * ```ts
 * const result: VerifyResult = await verifyLog('.writ/audit', { verifierKey, checkpoint: keptNote });
 * if (!result.ok) throw new Error(`record ${result.firstBadIndex}: ${result.reason}`);
 * if (result.state !== 'anchored') console.warn(`not anchored; cannot rule out: ${result.unproven.join('; ')}`);
 * console.log(`${result.records} records, ${result.sealed} sealed by ${result.checkpoints} checkpoints`);
 * for (const warning of result.warnings) console.warn(warning);
 * ```
 */
export interface VerifyResult {
  /** No check failed. What that proves depends on `state`. */
  readonly ok: boolean;
  /** What the verdict proves: `anchored`, `unanchored`, `unpinned` or `failed`. */
  readonly state: VerificationState;
  readonly origin: string;
  readonly records: number;
  readonly checkpoints: number;
  /** Records covered by the last verified checkpoint in the log. */
  readonly sealed: number;
  /**
   * Records `[0, covered)` are under a checkpoint signature that verified: the last one in the log, or
   * the published or the given checkpoint when it covers more. The records after them are only chained:
   * whoever can write the log could change them without the key.
   */
  readonly covered: number;
  /** Base64 root over all records read. */
  readonly root: string;
  /** Whether the verifier key came from outside the log. */
  readonly keyPinned: boolean;
  /** Records covered by the independent checkpoint the log was found to contain (when anchored). */
  readonly anchorSize?: number;
  /** What the `witnesses` requirement found, when one was given. */
  readonly witnesses?: WitnessVerdict;
  /** The first record that is not as it was written (or where the log ends too early). */
  readonly firstBadIndex?: number;
  readonly reason?: string;
  /** What `state` cannot rule out, one sentence each; empty when nothing is left open. */
  readonly unproven: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Options of {@link verifyLines}: the log's identity plus {@link VerifyLogOptions}.
 *
 * @example
 * ```ts
 * const options: VerifyLinesOptions = {
 *   origin: 'writ.local/audit/support-desk',
 *   recordedVerifierKey: storedKey, // what the log says it is signed with
 *   verifierKey: pinnedKey, // what you trust
 *   publishedCheckpoint: latestNote,
 * };
 * const result = await verifyLines(storedLines, options);
 * ```
 */
export interface VerifyLinesOptions extends VerifyLogOptions {
  /** The log's origin. */
  origin: string;
  /** The verifier key the log says it is signed with (used when no `verifierKey` is pinned). */
  recordedVerifierKey: string;
  /** The log's own latest checkpoint note, when it publishes one. */
  publishedCheckpoint?: string | undefined;
}

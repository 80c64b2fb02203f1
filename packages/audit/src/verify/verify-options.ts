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
  /** A checkpoint note obtained independently (a witness's copy): the log must contain its tree. */
  checkpoint?: string;
  /** Also validate every record against the record schema. @default false */
  deep?: boolean;
  /** Called every 10,000 records with the count so far. */
  onProgress?: (records: number) => void;
  /**
   * Hash records on a worker thread (file logs only).
   * @default true for logs of 16 MiB or more
   */
  threads?: boolean;
}

/**
 * The verdict on a log.
 *
 * @example
 * ```ts
 * const result: VerifyResult = await verifyLog('.writ/audit', { verifierKey });
 * if (!result.ok) throw new Error(`record ${result.firstBadIndex}: ${result.reason}`);
 * console.log(`${result.records} records, ${result.sealed} sealed by ${result.checkpoints} checkpoints`);
 * for (const warning of result.warnings) console.warn(warning);
 * ```
 */
export interface VerifyResult {
  readonly ok: boolean;
  readonly origin: string;
  readonly records: number;
  readonly checkpoints: number;
  /** Records covered by the last verified checkpoint in the log. */
  readonly sealed: number;
  /** Base64 root over all records read. */
  readonly root: string;
  /** Whether the verifier key came from outside the log. */
  readonly keyPinned: boolean;
  /** The first record that is not as it was written (or where the log ends too early). */
  readonly firstBadIndex?: number;
  readonly reason?: string;
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

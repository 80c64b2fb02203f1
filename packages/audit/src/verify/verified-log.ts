import { createSharedContextReader, formatIssues } from '@writ/core/internal';
import type { SharedContextFinding } from '@writ/core/plugin';
import { readLines, type StoredLine } from '../log-reader.js';
import { leafHash } from '../merkle/hashing.js';
import { type LogRecord, logRecordSchema } from '../record.js';
import { verifyLog } from './verify-log.js';
import type { VerifyLogOptions, VerifyResult } from './verify-options.js';

/**
 * A log read for showing: verified first, in the same pass, so that what is shown is the bytes that were
 * verified, each record marked with what its verification proves.
 */

/**
 * What the verification of a log proves about one of its records:
 *
 * - `verified`: under a checkpoint signature that verified with a pinned key.
 * - `unsealed`: the chain reaches it, but no checkpoint covers it yet: whoever can write the log could
 *   have changed it without the key (the newest records of a log that is still being written).
 * - `failed`: in a log that does not verify, at or after the first record that is not as written, or
 *   after the last checkpoint that verified before it (the record changed may be any of those).
 * - `unverified`: nothing was proven: the key was read from the log itself, or the log was not verified.
 *
 * @example
 * ```ts
 * const { records } = await readVerifiedLog('.writ/audit', { verifierKey });
 * const doubtful = records.filter((r) => r.evidence !== 'verified').map((r) => r.index);
 * ```
 */
export type RecordEvidence = 'verified' | 'unsealed' | 'failed' | 'unverified';

/**
 * One record of a {@link VerifiedLog}.
 *
 * @example
 * ```ts
 * const describe = (r: VerifiedRecord) =>
 *   r.record === undefined ? `record ${r.index} cannot be read (${r.problem})` : `${r.record.kind} (${r.evidence})`;
 * ```
 */
export interface VerifiedRecord {
  readonly index: number;
  /** The record, when its line parses and matches the record schema. */
  readonly record: LogRecord | undefined;
  /** Why `record` is absent: `not valid JSON`, `does not match the record schema: …`, or why reading stopped. */
  readonly problem?: string;
  /**
   * What is wrong with a record that was read: a decision record whose shared evaluated context cannot be
   * resolved from this log (`record` is then as stored, its `evaluatedContext` the per-call part only).
   */
  readonly finding?: SharedContextFinding;
  readonly evidence: RecordEvidence;
  /** Hex RFC 6962 leaf hash of the stored line (what a receipt for this record names). */
  readonly leafHash?: string;
}

/**
 * A log as {@link readVerifiedLog} reads it.
 *
 * @example
 * ```ts
 * const { verification, records }: VerifiedLog = await readVerifiedLog('.writ/audit', { verifierKey });
 * ```
 */
export interface VerifiedLog {
  /** The verdict on the log; absent when it was read without verifying (`verify: false`). */
  readonly verification: VerifyResult | undefined;
  /**
   * Every record verification accepted, then (when it failed) the rest of the log as it stands, marked
   * `failed`, up to where the reader stopped.
   */
  readonly records: readonly VerifiedRecord[];
}

/**
 * Options of {@link readVerifiedLog}: those of `verifyLog`, and whether to verify at all.
 *
 * @example
 * ```ts
 * const options: ReadVerifiedLogOptions = { verifierKey, checkpoint: keptNote };
 * ```
 */
export interface ReadVerifiedLogOptions extends Omit<VerifyLogOptions, 'onRecord'> {
  /** Verify first. Without it every record is `unverified`. @default true */
  verify?: boolean;
}

/**
 * Verifies a log directory and reads its records in the same pass ({@link verifyLog}'s `onRecord`): what
 * you show is the bytes that were verified, each record marked with its {@link RecordEvidence}. When the
 * log does not verify, the records from the first bad one on are read as they stand and marked
 * `failed`, so nothing is silently dropped; a record that does not parse is listed with its problem.
 *
 * @example
 * ```ts
 * const { verification, records } = await readVerifiedLog('.writ/audit', { verifierKey });
 * const events = records.flatMap((r) => (r.record === undefined ? [] : [{ index: r.index, event: r.record, evidence: r.evidence }]));
 * console.log(verification?.state, formatExplain(explain(events, { taskId })));
 * ```
 */
export async function readVerifiedLog(
  dir: string,
  options: ReadVerifiedLogOptions = {},
): Promise<VerifiedLog> {
  const { verify = true, ...verifyOptions } = options;
  return readVerifiedFrom({
    verify: verify ? (onRecord) => verifyLog(dir, { ...verifyOptions, onRecord }) : undefined,
    lines: () => readLines(dir, { maxRecordBytes: options.maxRecordBytes }),
  });
}

/**
 * What {@link readVerifiedLog} does for any store: verify with `verify` (reading the records it accepts
 * through `onRecord`; absent: do not verify), then, when that fails or was not asked, read the rest of
 * `lines` as they stand, marked `failed` (or `unverified`).
 * @internal
 */
export async function readVerifiedFrom(source: {
  verify: ((onRecord: (index: number, bytes: Buffer) => void) => Promise<VerifyResult>) | undefined;
  lines: () => AsyncIterable<StoredLine>;
}): Promise<VerifiedLog> {
  const records: VerifiedRecord[] = [];
  const parsed: { index: number; record: LogRecord | undefined; problem?: string; leafHash?: string }[] = [];
  let verification: VerifyResult | undefined;
  let from = 0;
  if (source.verify !== undefined) {
    verification = await source.verify((index, bytes) => {
      parsed.push({ index, ...parseRecord(bytes), leafHash: leafHash(bytes).toString('hex') });
    });
    from = verification.records;
  }
  if (verification === undefined || !verification.ok) {
    let index = 0;
    for await (const line of source.lines()) {
      if (line.problem !== undefined || !line.complete) {
        parsed.push({ index, record: undefined, problem: line.problem ?? 'cut short (a torn write)' });
        break;
      }
      if (index >= from)
        parsed.push({ index, ...parseRecord(line.bytes), leafHash: leafHash(line.bytes).toString('hex') });
      index++;
    }
  }
  // a decision record's evaluated context whole again, from the record of its task that holds it
  const contexts = createSharedContextReader();
  const findings = new Map<number, SharedContextFinding>();
  for (const { index, record } of parsed) {
    const finding = contexts.hold(index, record);
    if (finding !== undefined) findings.set(index, finding);
  }
  for (const entry of parsed) {
    const { record, finding = findings.get(entry.index) } = contexts.resolve(entry.index, entry.record);
    const evidence = evidenceOf(verification, entry.index);
    if (finding === undefined) records.push({ ...entry, record, evidence });
    else {
      findings.set(entry.index, finding);
      records.push({ ...entry, record, evidence, finding });
    }
  }
  if (verification !== undefined && findings.size > 0) {
    const named = [...findings.values()]
      .sort((a, b) => a.index - b.index)
      .map((f) => `record ${f.index} (decision): ${f.kind}: ${f.message}`);
    verification = { ...verification, warnings: [...verification.warnings, ...named] };
  }
  return { verification, records };
}

/** What `verification` proves about record `index`. */
function evidenceOf(verification: VerifyResult | undefined, index: number): RecordEvidence {
  if (verification === undefined) return 'unverified';
  // in a log that does not verify, nothing after its last verified seal is proven: the record changed may
  // be any of them (a record re-chained after a change is caught only by the checkpoint after it)
  if (!verification.ok && index >= verification.covered) return 'failed';
  if (!verification.keyPinned) return 'unverified';
  return index < verification.covered ? 'verified' : 'unsealed';
}

/** The record a stored line holds, or why it holds none. */
function parseRecord(bytes: Buffer): { record: LogRecord | undefined; problem?: string } {
  let envelope: unknown;
  try {
    envelope = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { record: undefined, problem: 'not valid JSON' };
  }
  const checked = logRecordSchema.safeParse((envelope as { r?: unknown } | null)?.r);
  if (checked.success) return { record: (envelope as { r: LogRecord }).r };
  const [issue = 'invalid'] = formatIssues(checked.error.issues, { limit: 1 });
  return { record: undefined, problem: `does not match the record schema: ${issue}` };
}

import type { RecordEvidence, RecordRef } from '@writ/audit';

/**
 * What the report says of a call or a task whose records are not all proven, in the words of `writ
 * explain`: the records that are not verified, then those not sealed yet, by index and kind; or that
 * nothing was proven (no pinned key). `undefined` when every record is verified.
 *
 * @example
 * ```ts
 * evidenceNote(call.evidence, call.records); // '✖ not verified: record 4 (decision)'
 * ```
 */
export function evidenceNote(
  evidence: RecordEvidence | undefined,
  records: readonly RecordRef[],
): string | undefined {
  if (evidence === undefined || evidence === 'verified') return undefined;
  if (evidence === 'unverified') return 'not proven: the log was read without a pinned key';
  const list = (evidence: RecordEvidence) =>
    records
      .filter((r) => r.evidence === evidence)
      .map((r) => `record ${r.index} (${r.kind})`)
      .join(', ');
  const notes: string[] = [];
  const failed = list('failed');
  if (failed !== '') notes.push(`✖ not verified: ${failed}`);
  const unsealed = list('unsealed');
  if (unsealed !== '') notes.push(`⚠ not sealed yet: ${unsealed}`);
  return notes.join('; ');
}

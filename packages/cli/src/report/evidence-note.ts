import type { RecordEvidence, RecordRef } from '@writ/audit';

/**
 * What the report says of a call or a task whose records are not all proven: each record that does
 * not verify or is not sealed yet, by index and kind; or that nothing was proven (no pinned key).
 * `undefined` when every record is verified.
 *
 * @example
 * ```ts
 * evidenceNote(call.evidence, call.records); // '✖ record 4 (decision) does not verify'
 * ```
 */
export function evidenceNote(
  evidence: RecordEvidence | undefined,
  records: readonly RecordRef[],
): string | undefined {
  if (evidence === undefined || evidence === 'verified') return undefined;
  if (evidence === 'unverified') return 'not proven: the log was read without a pinned key';
  const notes: string[] = [];
  for (const r of records) {
    if (r.evidence === 'failed') notes.push(`✖ record ${r.index} (${r.kind}) does not verify`);
    if (r.evidence === 'unsealed') notes.push(`⚠ record ${r.index} (${r.kind}) is not sealed yet`);
  }
  return notes.join('; ');
}

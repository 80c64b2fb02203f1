import { createSharedContextReader } from '@writ/core/internal';

/**
 * The deep check of decision records' shared evaluated contexts (`verifyLog(dir, { deep: true })`): every
 * record referring to one must find its value in a decision record of the same task, anywhere in the
 * log. Records are pushed in index order; what cannot be resolved yet waits for the end of the log.
 * @internal
 */
export function createSharedContextCheck() {
  const reader = createSharedContextReader();
  const found: { index: number; text: string }[] = [];
  const waiting: { index: number; record: unknown }[] = [];
  return {
    push(index: number, record: unknown): void {
      const held = reader.hold(index, record);
      if (held !== undefined) found.push({ index, text: `${held.kind}: ${held.message}` });
      const ref = (record as { decision?: { sharedContext?: { value?: unknown } } } | undefined)?.decision
        ?.sharedContext;
      if (ref === undefined || ref.value !== undefined || held !== undefined) return;
      if (reader.resolve(index, record).finding !== undefined) waiting.push({ index, record });
    },
    /** One warning per record whose shared context is not resolved, in index order. */
    finish(): string[] {
      for (const { index, record } of waiting) {
        const { finding } = reader.resolve(index, record);
        if (finding !== undefined) found.push({ index, text: `${finding.kind}: ${finding.message}` });
      }
      return found.sort((a, b) => a.index - b.index).map((f) => `record ${f.index} (decision): ${f.text}`);
    },
  };
}

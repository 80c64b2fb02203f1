import { explain } from './explain.js';
import type { ExplainQuery, TaskNode } from './explain-tree.js';
import type { LogRecord } from './record.js';
import {
  type ReadVerifiedLogOptions,
  type RecordEvidence,
  readVerifiedLog,
  type VerifiedRecord,
} from './verify/verified-log.js';

/**
 * Reads a log directory and explains part of it (see {@link explain}), verifying it in the same pass
 * (`readVerifiedLog`): every node carries its records' evidence. Without a pinned `verifierKey` nothing
 * is proven (evidence `unverified`); `verify: false` reads the log as it stands. To see the verdict
 * itself and the records that cannot be read, use `readVerifiedLog` and {@link explain}.
 *
 * @example
 * ```ts
 * const roots = await explainLog('.writ/audit', { correlationId }, { verifierKey });
 * if (roots.some((t) => t.evidence !== 'verified')) console.warn('not everything below is proven');
 * console.log(formatExplain(roots));
 * ```
 */
export async function explainLog(
  dir: string,
  query: ExplainQuery,
  options: ReadVerifiedLogOptions = {},
): Promise<TaskNode[]> {
  const { records } = await readVerifiedLog(dir, options);
  return explain(explainable(records), query);
}

/** The records of a verified log that {@link explain} can use (those that parse), with their evidence. */
function explainable(
  records: readonly VerifiedRecord[],
): { index: number; event: LogRecord; evidence: RecordEvidence }[] {
  const events: { index: number; event: LogRecord; evidence: RecordEvidence }[] = [];
  for (const { index, record, evidence } of records) {
    if (record !== undefined) events.push({ index, event: record, evidence });
  }
  return events;
}

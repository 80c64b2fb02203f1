import type { OutcomeEvent } from '@writ/core/plugin';
import type { InvestigatedLog, JoinFinding } from './explain-join.js';

/**
 * Receipts both ways, checked: a caller's outcome record holds what each callee returned about its own
 * decision record for the call (`outcome.remote[].receipt`: the callee log's origin, the record's index
 * and leaf hash). For each receipt naming a log of the investigation, that log must hold that record at
 * that index with that leaf hash, covered by a checkpoint that verified, and the record must be the
 * callee's decision for this call (same tool over MCP, same trace when both recorded one, same task
 * unless the callee refused the caller's credential). Each receipt names one record of one call.
 */

type Entry = InvestigatedLog['events'][number];

/** The origin of a log: given, or the origin line of its checkpoint records. */
function originOf(log: InvestigatedLog): string | undefined {
  if (log.origin !== undefined) return log.origin;
  for (const { event } of log.events)
    if (event.kind === 'checkpoint') return event.note.slice(0, event.note.indexOf('\n'));
  return undefined;
}

/**
 * The findings about receipts in `logs`: `receipt-missing` (the callee log has no such record),
 * `receipt-mismatch` (another record, another leaf hash, another call, or a record claimed twice) and
 * `receipt-unproven` (the record is there but not under a verified checkpoint), each at the caller's
 * outcome record, naming the callee's log and index.
 *
 * @example
 * ```ts
 * for (const f of checkReceipts([caller, callee])) console.error(`${f.kind} at ${f.log} record ${f.index}: ${f.message}`);
 * ```
 */
export function checkReceipts(logs: readonly InvestigatedLog[]): JoinFinding[] {
  const byOrigin = new Map<string, { log: InvestigatedLog; at: Map<number, Entry> }>();
  for (const log of logs) {
    const origin = originOf(log);
    if (origin !== undefined && !byOrigin.has(origin))
      byOrigin.set(origin, { log, at: new Map(log.events.map((e) => [e.index, e])) });
  }
  const findings: JoinFinding[] = [];
  const claimed = new Map<string, string>();
  for (const { log, events } of logs)
    for (const { index, event } of events) {
      if (event.kind !== 'outcome') continue;
      const outcome = event as OutcomeEvent;
      for (const remote of outcome.outcome.remote ?? []) {
        const receipt = remote.receipt;
        const callee = receipt === undefined ? undefined : byOrigin.get(receipt.log);
        if (receipt === undefined || callee === undefined) continue;
        const here = { log, index };
        const call = `call ${outcome.call.name} #${outcome.call.id}`;
        const named = `${callee.log.log} record ${receipt.index}`;
        const found = callee.at.get(receipt.index);
        if (found === undefined) {
          findings.push({
            kind: 'receipt-missing',
            ...here,
            message: `${call} holds a receipt from ${remote.by} for ${named} (leaf ${receipt.leafHash}): the callee log has no such record`,
          });
          continue;
        }
        const wrong = mismatch(outcome, remote, receipt.leafHash, found);
        if (wrong !== undefined) {
          findings.push({
            kind: 'receipt-mismatch',
            ...here,
            message: `${call} holds a receipt for ${named}: ${wrong}`,
          });
          continue;
        }
        const key = `${callee.log.log}\u0000${receipt.index}`;
        const other = claimed.get(key);
        if (other !== undefined) {
          findings.push({
            kind: 'receipt-mismatch',
            ...here,
            message: `${call} holds a receipt for ${named}, which ${other} already holds: one record, one call`,
          });
          continue;
        }
        claimed.set(key, `${call} (${log} record ${index})`);
        if (found.leafHash === undefined)
          findings.push({
            kind: 'receipt-unproven',
            ...here,
            message: `${call} holds a receipt for ${named}: the record's leaf hash was not given, so the receipt was not compared with it`,
          });
        else if (found.evidence !== undefined && found.evidence !== 'verified')
          findings.push({
            kind: 'receipt-unproven',
            ...here,
            message: `${call} holds a receipt for ${named}: the record is there, but ${found.evidence}, not under a checkpoint that verified`,
          });
      }
    }
  return findings;
}

/** Why the record found is not the one the receipt is for, or `undefined` when it is. */
function mismatch(
  outcome: OutcomeEvent,
  remote: NonNullable<OutcomeEvent['outcome']['remote']>[number],
  leafHash: string,
  found: Entry,
): string | undefined {
  if (found.leafHash !== undefined && found.leafHash !== leafHash)
    return `the callee's record there has leaf hash ${found.leafHash}, not ${leafHash}`;
  const event = found.event;
  if (event.kind !== 'decision') return `it is a ${event.kind} record, not a decision`;
  if (remote.via === 'mcp' && remote.tool !== undefined && event.call.name !== remote.tool)
    return `it is the decision on ${event.call.name}, not on ${remote.tool}`;
  if (outcome.traceId !== undefined && event.traceId !== undefined && outcome.traceId !== event.traceId)
    return `it is a decision in trace ${event.traceId}, not this call's trace ${outcome.traceId}`;
  // a callee refusing the caller's credential records the refusal in its own task
  if (event.taskId !== outcome.taskId && event.refusal === undefined)
    return `it is a decision of task ${event.taskId}, not of this call's task ${outcome.taskId}`;
  return undefined;
}

import type { AuditEvent, DecisionEvent, InboundRecord, TaskStartEvent } from '@writ/core/plugin';
import { sha256Hex } from '@writ/core/plugin';
import type { InvestigatedLog, JoinFinding, LogRecordAt } from './explain-join.js';
import type { RecordEvidence } from './verify/verified-log.js';

/** A caller's decision record that was issued a credential, as `joinLogs` indexes them. @internal */
export type Issued = LogRecordAt & {
  event: DecisionEvent & { credential: { jti: string } };
  evidence: RecordEvidence | undefined;
};

type Start = TaskStartEvent & { inbound: InboundRecord };

/** The call's credential was issued in the task the callee continues (and in its trace, when both recorded one). */
function sameTask(call: DecisionEvent, start: TaskStartEvent): boolean {
  if (call.taskId !== start.taskId) return false;
  return call.traceId === undefined || start.traceId === undefined || call.traceId === start.traceId;
}

/**
 * The caller's call a callee's task-start joins: of the calls issued its credential in the same task,
 * the one not yet linked (`taken`) that ran in the span the credential names, else the first one not
 * yet linked. A credential is cached per task and audience, so several calls
 * of one task present the same jti, each opening a task-start at the callee: they pair in order (the first
 * call with the first task-start, …); a task-start beyond them links to the last call that holds it. The
 * span the credential names (`inbound.callerSpanId`) is the span of the call that obtained it: a span
 * no call of the task ran in is a `span-mismatch`.
 *
 * @internal
 */
export function pickCaller(
  candidates: readonly Issued[],
  start: Start,
  taken: (c: Issued) => boolean,
): { caller: Issued | undefined; spans: ReadonlySet<string | undefined> } {
  const same = candidates.filter((c) => sameTask(c.event, start));
  const span = start.inbound.callerSpanId;
  return {
    caller:
      (span === undefined ? undefined : same.find((c) => c.event.spanId === span && !taken(c))) ??
      same.find((c) => !taken(c)) ??
      same.at(-1),
    spans: new Set(same.map((c) => c.event.spanId)),
  };
}

/** The origin a log's checkpoints name (their first line), when it holds one. @internal */
export function logOrigin(events: InvestigatedLog['events']): string | undefined {
  for (const { event } of events)
    if (event.kind === 'checkpoint') {
      const note = (event as { note?: unknown }).note;
      if (typeof note === 'string') return note.split('\n', 1)[0];
    }
  return undefined;
}

/**
 * What the two sides of a link say differently: requester, intent (the callee's intent, and the intent
 * digest its credential carried against sha256 of the caller's recorded intent), the caller's span and
 * log the credential names.
 *
 * @internal
 */
export function mismatches(
  caller: Issued,
  start: Start,
  at: LogRecordAt,
  callerOrigin: string | undefined,
  spans: ReadonlySet<string | undefined>,
): JoinFinding[] {
  const out: JoinFinding[] = [];
  const where = `the call in ${caller.log} record ${caller.index}`;
  const theirs = caller.event.requester?.id ?? null;
  const ours = (start as AuditEvent).requester?.id ?? null;
  if (theirs !== ours)
    out.push({
      kind: 'requester-mismatch',
      ...at,
      message: `task ${start.taskId} names requester ${ours ?? 'none'}; ${where} was made for ${theirs ?? 'none'}`,
    });
  const callerIntent = caller.event.intent;
  if (callerIntent !== undefined && start.intent !== undefined && callerIntent !== start.intent)
    out.push({
      kind: 'intent-mismatch',
      ...at,
      message: `task ${start.taskId} records intent ${JSON.stringify(start.intent)}; ${where} records ${JSON.stringify(callerIntent)}`,
    });
  const { intentDigest, callerSpanId, callerLog } = start.inbound;
  if (intentDigest !== undefined) {
    const recorded = callerIntent === undefined ? undefined : sha256Hex(callerIntent);
    if (recorded !== intentDigest)
      out.push({
        kind: 'intent-mismatch',
        ...at,
        message: `task ${start.taskId} presented a credential carrying intent digest ${intentDigest}; ${where} records ${callerIntent === undefined ? 'no intent' : `intent ${JSON.stringify(callerIntent)} (${recorded})`}`,
      });
  }
  if (callerSpanId !== undefined && !spans.has(callerSpanId))
    out.push({
      kind: 'span-mismatch',
      ...at,
      message: `task ${start.taskId} presented a credential naming caller span ${callerSpanId}; no call of that task issued it ran in that span (${where} ran in ${caller.event.spanId ?? '(none recorded)'})`,
    });
  if (callerLog !== undefined && callerOrigin !== undefined && callerLog !== callerOrigin)
    out.push({
      kind: 'log-mismatch',
      ...at,
      message: `task ${start.taskId} presented a credential naming caller log ${callerLog}; the call is in ${caller.log}, whose origin is ${callerOrigin}`,
    });
  return out;
}

import type { InboundRecord, TaskStartEvent } from '@writ/core/plugin';
import { explain } from './explain.js';
import { type Issued, logOrigin, mismatches, pickCaller } from './explain-join-checks.js';
import { checkReceipts } from './explain-receipts.js';
import type { CallNode, ExplainQuery, TaskNode } from './explain-tree.js';
import { isFleetRecord } from './fleet/fleet-record.js';
import type { LogRecord } from './record.js';
import type { RecordEvidence } from './verify/verified-log.js';

/**
 * Many logs, one investigation: the records of several services' logs (a caller's, the services it
 * called with a credential, theirs) joined into one authority chain. A callee's task-start that
 * continues a caller's task (`writ.task({ inbound })`) is linked to the caller's call whose credential
 * it presented: same task id, the inbound credential's jti equal to the call's credential jti, the
 * caller's span id when the credential carried one, and the same trace when both sides recorded one.
 * What does not join is a finding.
 */

/**
 * One log of an investigation: a label naming it (its directory, or `postgres://host/db#<log id>`) and
 * its records, with what verification proves about each (`readVerifiedLog`).
 *
 * @example
 * ```ts
 * const { records } = await readVerifiedLog(dir, { verifierKey });
 * const log: InvestigatedLog = { log: dir, events: records.flatMap((r) => (r.record ? [{ index: r.index, event: r.record, evidence: r.evidence }] : [])) };
 * ```
 */
export interface InvestigatedLog {
  readonly log: string;
  /** The log's origin (what receipts name). @default the origin line of its checkpoint records */
  readonly origin?: string;
  readonly events: readonly {
    index: number;
    event: LogRecord;
    evidence?: RecordEvidence;
    /** Hex leaf hash of the record's stored line, to check receipts against (`readVerifiedLog` gives it). */
    leafHash?: string;
  }[];
}

/**
 * A record of one log: the log's label and the record's index.
 *
 * @example
 * ```ts
 * const at = (r: LogRecordAt) => `${r.log} record ${r.index}`;
 * ```
 */
export interface LogRecordAt {
  readonly log: string;
  readonly index: number;
}

/**
 * A link between two logs: the caller's call (its decision record, which names the credential minted
 * for the callee's audience) and the callee's task-start that presented that credential.
 *
 * @example
 * ```ts
 * for (const l of links) console.log(`${l.caller.log}#${l.caller.index} → ${l.callee.log}#${l.callee.index} (${l.jti})`);
 * ```
 */
export interface LogLink {
  /** The caller's decision record; `evidence`: what its log's verification proves about it. */
  readonly caller: LogRecordAt & {
    readonly service: string;
    readonly callId: string;
    readonly tool: string;
    readonly evidence?: RecordEvidence;
  };
  /** The callee's task-start record; `evidence`: what its log's verification proves about it. */
  readonly callee: LogRecordAt & { readonly service: string; readonly evidence?: RecordEvidence };
  readonly taskId: string;
  /** The credential's jti: the caller's `credential.jti`, the callee's `inbound.jti`. */
  readonly jti: string;
  /** The credential's audience, as the caller recorded it. */
  readonly audience: string | undefined;
}

/**
 * What does not join, at the record that shows it:
 * - `unmatched-inbound`: a callee task cites a credential (jti) no call in any log of the set was issued;
 * - `task-mismatch`: the credential was issued for a call of another task, or in another trace;
 * - `call-without-callee-task`: a call with a credential for an audience whose service's log is in the
 *   set (it continued another call made with that audience), and no task there presented it;
 * - `requester-mismatch` / `intent-mismatch`: the two sides of a link name different requesters or
 *   intents (the intent digest the callee's inbound credential carries is checked against sha256 of the
 *   intent the caller's call recorded);
 * - `span-mismatch`: the callee's credential names a caller span (`inbound.callerSpanId`) that no call
 *   issued that credential ran in;
 * - `log-mismatch`: the callee's credential names a caller log (`inbound.callerLog`) other than the
 *   origin of the log holding the call;
 * - `receipt-missing` / `receipt-mismatch` / `receipt-unproven`: a caller's outcome holds a callee's
 *   receipt for a record the callee's log does not have, that is not that call's decision (or is claimed
 *   twice), or that no verified checkpoint covers (see `checkReceipts`).
 *
 * @example
 * ```ts
 * for (const f of findings) console.error(`${f.kind} at ${f.log} record ${f.index}: ${f.message}`);
 * ```
 */
export interface JoinFinding extends LogRecordAt {
  readonly kind:
    | 'unmatched-inbound'
    | 'task-mismatch'
    | 'call-without-callee-task'
    | 'requester-mismatch'
    | 'intent-mismatch'
    | 'receipt-missing'
    | 'receipt-mismatch'
    | 'receipt-unproven'
    | 'span-mismatch'
    | 'log-mismatch';
  readonly message: string;
}

/**
 * The joined investigation: the explained trees (each node labelled with its `log` and `service`, a
 * callee's continued task nested under the caller's call in `CallNode.callees`), the links and the
 * findings.
 *
 * @example
 * ```ts
 * const { tasks, links, findings } = explainLogs(logs, { taskId });
 * if (findings.length > 0) console.error(`${findings.length} finding(s)`);
 * ```
 */
export interface JoinedExplain {
  readonly tasks: TaskNode[];
  readonly links: LogLink[];
  readonly findings: JoinFinding[];
}

/**
 * Links the logs of an investigation and lists what does not join ({@link LogLink}, {@link JoinFinding}).
 *
 * @example
 * ```ts
 * const { links, findings } = joinLogs([caller, callee]);
 * ```
 */
export function joinLogs(logs: readonly InvestigatedLog[]): {
  links: LogLink[];
  findings: JoinFinding[];
} {
  const issued = new Map<string, Issued[]>();
  for (const { log, events } of logs)
    for (const { index, event, evidence } of events) {
      if (event.kind !== 'decision' || event.credential?.jti === undefined) continue;
      const list = issued.get(event.credential.jti) ?? [];
      list.push({ log, index, event: event as Issued['event'], evidence });
      issued.set(event.credential.jti, list);
    }
  const origins = new Map(logs.map(({ log, events }) => [log, logOrigin(events)]));
  const links: LogLink[] = [];
  const findings: JoinFinding[] = [];
  /** Audiences whose service's log is in the set: the callee log of each, learned from its links. */
  const served = new Map<string, string>();
  /** Calls already linked to a callee task-start of a log (callee log, caller log, caller index). */
  const taken = new Set<string>();
  for (const { log, events } of logs)
    for (const { index, event, evidence } of events) {
      if (event.kind !== 'task-start' || event.inbound === undefined) continue;
      const start = event as TaskStartEvent & { inbound: InboundRecord };
      const at = { log, index };
      const candidates = (issued.get(start.inbound.jti) ?? []).filter((c) => c.log !== log);
      const key = (c: Issued) => `${log}\u0000${c.log}\u0000${c.index}`;
      const { caller, spans } = pickCaller(candidates, start, (c) => taken.has(key(c)));
      if (caller !== undefined) taken.add(key(caller));
      if (caller === undefined) {
        const other = candidates[0];
        findings.push(
          other === undefined
            ? {
                kind: 'unmatched-inbound',
                ...at,
                message: `task ${start.taskId} presented credential ${start.inbound.jti} (issuer ${start.inbound.issuer}): no call in the logs given was issued it`,
              }
            : {
                kind: 'task-mismatch',
                ...at,
                message: `task ${start.taskId} presented credential ${start.inbound.jti}, issued in ${other.log} record ${other.index} for task ${other.event.taskId}${other.event.traceId === start.traceId ? '' : ` (trace ${other.event.traceId ?? '-'}, here ${start.traceId ?? '-'})`}`,
              },
        );
        continue;
      }
      const audience = caller.event.credential.audience;
      links.push({
        caller: {
          log: caller.log,
          index: caller.index,
          service: caller.event.service,
          callId: caller.event.call.id,
          tool: caller.event.call.name,
          ...(caller.evidence === undefined ? {} : { evidence: caller.evidence }),
        },
        callee: { ...at, service: start.service, ...(evidence === undefined ? {} : { evidence }) },
        taskId: start.taskId,
        jti: start.inbound.jti,
        audience,
      });
      if (audience !== undefined) served.set(audience, log);
      findings.push(...mismatches(caller, start, at, origins.get(caller.log), spans));
    }
  const linked = new Set(links.map((l) => `${l.caller.log}\u0000${l.caller.index}`));
  for (const list of issued.values())
    for (const call of list) {
      const audience = call.event.credential.audience;
      const callee = audience === undefined ? undefined : served.get(audience);
      if (callee === undefined || callee === call.log || linked.has(`${call.log}\u0000${call.index}`))
        continue;
      findings.push({
        kind: 'call-without-callee-task',
        log: call.log,
        index: call.index,
        message: `call ${call.event.call.name} #${call.event.call.id} of task ${call.event.taskId} holds credential ${call.event.credential.jti} for ${audience}: ${callee} holds no task that presented it`,
      });
    }
  findings.push(...checkReceipts(logs));
  findings.sort((a, b) => (a.log === b.log ? a.index - b.index : a.log < b.log ? -1 : 1));
  return { links, findings };
}

/**
 * Explains a query over several logs and joins them ({@link joinLogs}): the query is answered in every
 * log; a callee's continued task is nested under the caller's call that issued its credential
 * (`CallNode.callees`) rather than listed on its own; a task of another log that carries the id of a
 * task shown but joins nothing is listed on its own; every node carries its `log` and `service`. The
 * links and findings returned are those at a record of what is shown (all of them: {@link joinLogs}).
 *
 * @example
 * ```ts
 * const { tasks, links, findings } = explainLogs([orchestrator, ordersServer], { taskId });
 * console.log(formatExplain(tasks));
 * ```
 */
export function explainLogs(logs: readonly InvestigatedLog[], query: ExplainQuery): JoinedExplain {
  return joinTrees(logs, (events) => explain(events, query));
}

/**
 * Every task of several logs, joined ({@link explainLogs} without a query, as `writ report` over several
 * logs shows them): the root tasks of each log in log order (tasks whose correlation id came from
 * unsigned baggage included), a callee's continued task nested under the caller's call that issued its
 * credential; all the links and findings.
 *
 * @example
 * ```ts
 * const { tasks, links, findings } = explainAllLogs([orchestrator, ordersServer]);
 * ```
 */
export function explainAllLogs(logs: readonly InvestigatedLog[]): JoinedExplain {
  return joinTrees(logs, everyTask);
}

/** The trees `answer` gives in each log, labelled, joined across the logs (see {@link explainLogs}). */
function joinTrees(
  logs: readonly InvestigatedLog[],
  answer: (events: InvestigatedLog['events']) => TaskNode[],
): JoinedExplain {
  const { links, findings } = joinLogs(logs);
  /** Every task of every log, by log and task id; and which task-start index opened which task. */
  const all = new Map<string, Map<string, TaskNode>>();
  const services = new Map<string, Map<number, string>>();
  for (const { log, events } of logs) {
    const byId = new Map<string, TaskNode>();
    const starts = new Map<number, string>();
    for (const { index, event } of events)
      if (event.kind !== 'checkpoint' && !isFleetRecord(event)) starts.set(index, event.service);
    services.set(log, starts);
    const walk = (t: TaskNode) => {
      byId.set(t.taskId, t);
      for (const d of t.delegations) walk(d);
    };
    for (const root of everyTask(events)) walk(root);
    all.set(log, byId);
  }
  const calleesOf = new Map<string, LogLink[]>();
  for (const link of links) {
    const key = `${link.caller.log}\u0000${link.caller.index}`;
    const list = calleesOf.get(key);
    if (list === undefined) calleesOf.set(key, [link]);
    else list.push(link);
  }
  const nested = new Set<string>();
  /**
   * A service continuing a caller's task opens one task-start per request, all under the caller's task
   * id (several calls presenting one cached credential, or a task-start nobody's call explains). Each
   * call shows its own run: the records from its task-start to the next task-start of that task id.
   */
  const startsOf = new Map<string, number[]>();
  for (const { log, events } of logs)
    for (const { index, event } of events)
      if (event.kind === 'task-start' && event.inbound !== undefined) {
        const key = `${log}\u0000${event.taskId}`;
        startsOf.set(key, [...(startsOf.get(key) ?? []), index]);
      }
  const eventsOf = new Map(logs.map((l) => [l.log, l.events]));
  const runAt = (log: string, taskId: string, start: number): TaskNode | undefined => {
    const whole = all.get(log)?.get(taskId);
    const starts = startsOf.get(`${log}\u0000${taskId}`) ?? [];
    if (starts.length < 2) return whole;
    const end = Math.min(...starts.filter((i) => i > start), Number.POSITIVE_INFINITY);
    const run = (eventsOf.get(log) ?? []).filter((e) => e.index >= start && e.index < end);
    return explain(run, { taskId })[0] ?? whole;
  };
  /** The runs nested under a call, by log and task-start index. */
  const nestedRuns = new Set<string>();
  const label = (log: string, task: TaskNode, path: ReadonlySet<string>): TaskNode => {
    const first = task.records[0]?.index;
    const service = first === undefined ? undefined : services.get(log)?.get(first);
    const inside = new Set(path).add(`${log}\u0000${task.taskId}`);
    const calls = task.calls.map((call): CallNode => {
      const callees: TaskNode[] = [];
      for (const link of calleesOf.get(`${log}\u0000${call.index}`) ?? []) {
        const callee = runAt(link.callee.log, link.taskId, link.callee.index);
        const key = `${link.callee.log}\u0000${link.taskId}`;
        if (callee === undefined || inside.has(key) || callees.some((c) => c.log === link.callee.log))
          continue;
        nestedRuns.add(`${link.callee.log}\u0000${link.callee.index}`);
        nested.add(key);
        callees.push(label(link.callee.log, callee, inside));
      }
      return callees.length === 0 ? call : { ...call, callees };
    });
    return {
      ...task,
      log,
      ...(service === undefined ? {} : { service }),
      calls,
      delegations: task.delegations.map((d) => label(log, d, inside)),
    };
  };
  const answered = logs.flatMap(({ log, events }) =>
    answer(events).map((task) => label(log, task, new Set())),
  );
  const tasks = answered.filter((t) => !nested.has(`${t.log}\u0000${t.taskId}`));
  // a task of another log carrying the id of a task shown, and joined to nothing, claims to continue
  // it: shown on its own (with what does not join about it), never left out
  const ids = new Set<string>();
  const keys = new Set<string>();
  const collect = (task: TaskNode) => {
    ids.add(task.taskId);
    keys.add(`${task.log}\u0000${task.taskId}`);
    for (const call of task.calls) for (const callee of call.callees ?? []) collect(callee);
    for (const d of task.delegations) collect(d);
  };
  for (const task of tasks) collect(task);
  for (const { log } of logs)
    for (const [id, task] of all.get(log) ?? [])
      if (ids.has(id) && !keys.has(`${log}\u0000${id}`)) tasks.push(label(log, task, new Set()));
  // a run of a continued task that no call of the logs given explains (a task-start citing a credential
  // nobody issued, next to runs that join): shown on its own, with its finding
  for (const [key, starts] of startsOf) {
    const [log, id] = key.split('\u0000') as [string, string];
    if (!ids.has(id) || !keys.has(key) || starts.length < 2) continue;
    for (const start of starts) {
      if (nestedRuns.has(`${log}\u0000${start}`)) continue;
      const run = runAt(log, id, start);
      if (run !== undefined) tasks.push(label(log, run, new Set()));
    }
  }
  // the findings about what is shown: at a record of a task or call in the trees
  const shown = new Set<string>();
  const mark = (task: TaskNode) => {
    for (const r of task.records) shown.add(`${task.log}\u0000${r.index}`);
    for (const call of task.calls) {
      for (const r of call.records) shown.add(`${task.log}\u0000${r.index}`);
      for (const callee of call.callees ?? []) mark(callee);
    }
    for (const d of task.delegations) mark(d);
  };
  for (const task of tasks) mark(task);
  const shownLinks = links.filter((l) => shown.has(`${l.caller.log}\u0000${l.caller.index}`));
  return {
    tasks,
    links: shownLinks,
    findings: findings.filter((f) => shown.has(`${f.log}\u0000${f.index}`)),
  };
}

/** Every task of a log (roots, delegations nested), unsigned-baggage correlations included. */
function everyTask(events: InvestigatedLog['events']): TaskNode[] {
  const groups = new Map<string, InvestigatedLog['events'][number][]>();
  for (const entry of events) {
    if (entry.event.kind === 'checkpoint' || isFleetRecord(entry.event)) continue;
    const group = groups.get(entry.event.correlationId);
    if (group === undefined) groups.set(entry.event.correlationId, [entry]);
    else group.push(entry);
  }
  return [...groups].flatMap(([correlationId, group]) =>
    explain(group, { correlationId, includeUnverified: true }),
  );
}

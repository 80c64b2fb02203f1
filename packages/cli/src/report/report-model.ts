import {
  type CallNode,
  explain,
  isFleetRecord,
  type JoinFinding,
  type LogLink,
  type LogRecord,
  type RecordEvidence,
  readVerifiedLog,
  type TaskNode,
  type VerifyResult,
} from '@writ/audit';
import type { AuditEvent, InboundRecord } from '@writ/core/plugin';

/**
 * How a call ended up, for colouring: `allow` (green), `approval` (amber: approval was required and
 * granted), `deny` (red: policy said no), `refused` (red: the pipeline refused it, e.g. approval refused,
 * identity or scope failure).
 *
 * @example
 * ```ts
 * const verdict: Verdict = verdictOf(call);
 * ```
 */
export type Verdict = 'allow' | 'approval' | 'deny' | 'refused';

/**
 * What `renderReport` draws: where the log came from, its verification verdict, and every task tree
 * (roots, with delegations nested). Build it with {@link buildReportModel}, or from any events with
 * {@link collectTasks} and `verifyLines` (e.g. a PostgreSQL log).
 *
 * @example
 * ```ts
 * const model: ReportModel = { source: 'db#support', generatedAt: new Date().toISOString(), verification, tasks };
 * ```
 */
export interface ReportModel {
  /** Page title. @default 'Writ audit report' */
  readonly title?: string;
  /** Where the log is (directory, URL without credentials). */
  readonly source: string;
  /** ISO 8601 time the report was made. */
  readonly generatedAt: string;
  /** The result of verifying the log; `undefined` renders as "not verified". */
  readonly verification: ReportVerdict | undefined;
  /** Root tasks in log order (delegations nested inside). */
  readonly tasks: readonly TaskNode[];
  /** Records left out because they are not valid JSON or do not match the record schema. @default 0 */
  readonly unreadable?: number;
  /** Which records were left out, and why (listed under the verification status). */
  readonly unreadableRecords?: readonly { readonly index: number; readonly reason: string }[];
  /**
   * What the task-start, decision, approval and task-end records say beyond the task trees, by record
   * index: when they were written, by which service, and for a task continued from a caller
   * (`writ.task({ inbound })`) the caller's verified credential. The report shows approval times, task
   * times and where a continued task came from with them. {@link buildReportModel} fills it;
   * {@link recordFactsOf} builds it from any events. @default none (the report leaves those out)
   */
  readonly recordFacts?: ReadonlyMap<number, RecordFacts>;
  /**
   * Over several logs (`writ report <log> <log>…`, {@link buildJoinedReportModel}): each log with its own
   * verdict, key and record facts, in the order given. The page then shows one verification panel per
   * log, labels every node and call with its service and log, and lists `links` and `findings`; `source`,
   * `verification` and `recordFacts` are ignored. @default one log
   */
  readonly logs?: readonly ReportLog[];
  /** Over several logs: caller's call ↔ callee's task-start (`joinLogs` of `@writ/audit`). */
  readonly links?: readonly LogLink[];
  /** Over several logs: what does not join, at its (log, record). */
  readonly findings?: readonly JoinFinding[];
}

/**
 * What the report needs of a verdict: `@writ/audit`'s `VerifyResult`, or the same as `writ verify
 * --json` prints it (absent values `null`).
 *
 * @example
 * ```ts
 * const verdict: ReportVerdict = await verifyLog(dir, { verifierKey });
 * ```
 */
export type ReportVerdict = Pick<
  VerifyResult,
  'state' | 'origin' | 'records' | 'checkpoints' | 'sealed' | 'root' | 'keyPinned' | 'unproven' | 'warnings'
> & {
  readonly anchorSize?: number | null | undefined;
  readonly firstBadIndex?: number | null | undefined;
  readonly reason?: string | null | undefined;
};

/**
 * One log of a report over several logs ({@link ReportModel.logs}).
 *
 * @example
 * ```ts
 * for (const l of model.logs ?? []) console.log(l.tag, l.log, l.verification?.state ?? 'not verified');
 * ```
 */
export interface ReportLog {
  /** The log's label: its directory, or `postgres://host:port/db#<log id>`. */
  readonly log: string;
  /** Its short name on the page: `log 1`, `log 2`… in the order given. */
  readonly tag: string;
  /** The services that wrote its records (`createWrit`'s `service`), in order of first appearance. */
  readonly services: readonly string[];
  /** Its verdict; `undefined` when it was read without verifying. */
  readonly verification: ReportVerdict | undefined;
  /** The verifier key it was verified with, when one was pinned. */
  readonly verifierKey?: string | undefined;
  readonly unreadableRecords: readonly { readonly index: number; readonly reason: string }[];
  /** Its {@link RecordFacts}, by record index. */
  readonly recordFacts: ReadonlyMap<number, RecordFacts>;
}

/**
 * The record facts of the log that holds a task (`task.log`, over several logs), else the model's.
 *
 * @example
 * ```ts
 * const facts = factsOf(model, task.log);
 * ```
 */
export function factsOf(
  model: Pick<ReportModel, 'logs' | 'recordFacts'>,
  log: string | undefined,
): ReadonlyMap<number, RecordFacts> | undefined {
  if (model.logs === undefined) return model.recordFacts;
  return model.logs.find((l) => l.log === log)?.recordFacts;
}

/**
 * What {@link ReportModel.recordFacts} keeps of one record.
 *
 * @example
 * ```ts
 * const approvedAt = (facts: ReadonlyMap<number, RecordFacts>, index: number) => facts.get(index)?.time;
 * ```
 */
export interface RecordFacts {
  /** RFC 3339 time the record was written, as recorded. */
  readonly time: string;
  /** The `service` that wrote it. */
  readonly service: string;
  /** On a task-start: the caller's verified task credential the task continues. */
  readonly inbound?: InboundRecord | undefined;
  /**
   * On an outcome: the callee's decision receipt returned with the result (the first of
   * `outcome.remote`), when the runtime recorded one (`{ log, index, leafHash }`).
   */
  readonly receipt?: Readonly<Record<string, unknown>> | undefined;
}

const FACT_KINDS: ReadonlySet<string> = new Set([
  'task-start',
  'decision',
  'approval',
  'task-end',
  'outcome',
]);

/** The first callee receipt an outcome record holds (`outcome.remote[].receipt`), when it is an object. */
function receiptOf(event: AuditEvent): Readonly<Record<string, unknown>> | undefined {
  const e = event as unknown as { outcome?: { remote?: { receipt?: unknown }[] } };
  const remote = e.outcome?.remote;
  const receipt = Array.isArray(remote) ? remote.find((r) => r?.receipt !== undefined)?.receipt : undefined;
  return typeof receipt === 'object' && receipt !== null && !Array.isArray(receipt)
    ? (receipt as Record<string, unknown>)
    : undefined;
}

/**
 * The {@link RecordFacts} of the task-start, decision, approval and task-end records among `events`, by
 * record index (for {@link ReportModel.recordFacts}).
 *
 * @example
 * ```ts
 * const model: ReportModel = { source, generatedAt, verification, tasks: collectTasks(events), recordFacts: recordFactsOf(events) };
 * ```
 */
export function recordFactsOf(
  events: Iterable<{ index: number; event: LogRecord }>,
): Map<number, RecordFacts> {
  const facts = new Map<number, RecordFacts>();
  for (const { index, event } of events) {
    if (!FACT_KINDS.has(event.kind)) continue;
    const e = event as AuditEvent;
    const inbound = e.kind === 'task-start' ? e.inbound : undefined;
    const receipt = e.kind === 'outcome' ? receiptOf(e) : undefined;
    // an outcome is kept only for its receipt (the call's time is its decision's)
    if (e.kind === 'outcome' && receipt === undefined) continue;
    facts.set(index, {
      time: e.time,
      service: e.service,
      ...(inbound === undefined ? {} : { inbound }),
      ...(receipt === undefined ? {} : { receipt }),
    });
  }
  return facts;
}

/**
 * One call, flattened for the report's table.
 *
 * @example
 * ```ts
 * const rows: ReportCall[] = reportCalls(model.tasks);
 * ```
 */
export interface ReportCall {
  readonly rootTaskId: string;
  readonly task: TaskNode;
  readonly call: CallNode;
  readonly verdict: Verdict;
}

/**
 * The {@link Verdict} of a call.
 *
 * @example
 * ```ts
 * verdictOf(call); // 'deny'
 * ```
 */
export function verdictOf(call: CallNode): Verdict {
  if (call.decision.effect === 'deny') return 'deny';
  if (call.refusal !== undefined || call.outcome?.status === 'refused' || call.approval?.approved === false)
    return 'refused';
  if (call.decision.effect === 'approval_required') return 'approval';
  return 'allow';
}

/**
 * Every call of the given task trees (delegations included, and over several logs the callee tasks
 * each call continued in another service, right after it), depth first, in log order per task.
 *
 * @example
 * ```ts
 * for (const { call, verdict } of reportCalls(model.tasks)) console.log(call.tool, verdict);
 * ```
 */
export function reportCalls(tasks: readonly TaskNode[]): ReportCall[] {
  const out: ReportCall[] = [];
  const walk = (root: string, task: TaskNode) => {
    for (const call of task.calls) {
      out.push({ rootTaskId: root, task, call, verdict: verdictOf(call) });
      for (const callee of call.callees ?? []) walk(root, callee);
    }
    for (const child of task.delegations) walk(root, child);
  };
  for (const task of tasks) walk(task.taskId, task);
  return out;
}

/**
 * Every root task of a log (with delegations nested), in log order: the events are grouped by
 * correlation id and each group explained, so the work stays linear in the size of the log.
 *
 * @example
 * ```ts
 * const tasks = collectTasks(events); // events: { index, event }[] read from a log
 * ```
 */
export function collectTasks(
  events: Iterable<{ index: number; event: LogRecord; evidence?: RecordEvidence }>,
): TaskNode[] {
  const groups = new Map<string, { index: number; event: LogRecord; evidence?: RecordEvidence }[]>();
  for (const entry of events) {
    if (entry.event.kind === 'checkpoint' || isFleetRecord(entry.event)) continue;
    const id = entry.event.correlationId;
    let group = groups.get(id);
    if (group === undefined) {
      group = [];
      groups.set(id, group);
    }
    group.push(entry);
  }
  const tasks: TaskNode[] = [];
  for (const [correlationId, group] of groups) tasks.push(...explain(group, { correlationId }));
  return tasks;
}

/**
 * Options of {@link buildReportModel}.
 *
 * @example
 * ```ts
 * const options: BuildReportModelOptions = { verifierKey, title: 'Incident 4711', onProgress: (phase, n) => log(phase, n) };
 * ```
 */
export interface BuildReportModelOptions {
  /** C2SP verifier key obtained independently of the log. @default the key recorded in the log (not pinned) */
  verifierKey?: string;
  /** A checkpoint note obtained independently (the anchor). */
  checkpoint?: string;
  /** Verify the log first. Without it the page says the log was not verified. @default true */
  verify?: boolean;
  /** @default 'Writ audit report' */
  title?: string;
  /** Report time. @default now */
  now?: () => Date;
  /** Told about progress: the phase and records so far (every 10,000 records). */
  onProgress?: (phase: 'verify' | 'read', records: number) => void;
}

/**
 * Verifies a log directory and reads its authority chains into a {@link ReportModel}, in one pass
 * (`readVerifiedLog`): the report shows the bytes that were verified, every call and task marked with
 * what verification proves about its records.
 *
 * @example
 * ```ts
 * const model = await buildReportModel('.writ/audit', { verifierKey, checkpoint: keptNote });
 * await writeFile('report.html', renderReport(model));
 * ```
 */
export async function buildReportModel(
  dir: string,
  options: BuildReportModelOptions = {},
): Promise<ReportModel> {
  const { verification, records } = await readVerifiedLog(dir, {
    verify: options.verify ?? true,
    ...(options.verifierKey === undefined ? {} : { verifierKey: options.verifierKey }),
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
    onProgress: (n) => options.onProgress?.('verify', n),
  });
  // the log is untrusted input: only records that match the schema reach the report
  const events: { index: number; event: LogRecord; evidence: RecordEvidence }[] = [];
  const unreadableRecords: { index: number; reason: string }[] = [];
  for (const { index, record, evidence, problem } of records) {
    if (record === undefined) unreadableRecords.push({ index, reason: problem ?? 'unreadable' });
    else events.push({ index, event: record, evidence });
    if ((index + 1) % 10_000 === 0) options.onProgress?.('read', index + 1);
  }
  return {
    title: options.title ?? 'Writ audit report',
    source: dir,
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    verification,
    tasks: collectTasks(events),
    unreadable: unreadableRecords.length,
    unreadableRecords,
    recordFacts: recordFactsOf(events),
  };
}

import { explainAllLogs, type InvestigatedLog } from '@writ/audit';
import type { AuditEvent } from '@writ/core/plugin';
import {
  type RecordFacts,
  type ReportLog,
  type ReportModel,
  type ReportVerdict,
  recordFactsOf,
} from './report-model.js';

/**
 * One log given to {@link buildJoinedReportModel}: its label and records with their evidence (as
 * `@writ/audit`'s `explainLogs` takes them), its verdict, the key it was verified with and the records
 * that could not be read.
 *
 * @example
 * ```ts
 * const { verification, records } = await readVerifiedLog(dir, { verifierKey });
 * const input: ReportLogInput = {
 *   log: dir,
 *   verification,
 *   verifierKey,
 *   events: records.flatMap((r) => (r.record ? [{ index: r.index, event: r.record, evidence: r.evidence }] : [])),
 * };
 * ```
 */
export interface ReportLogInput extends InvestigatedLog {
  /** Its verdict; `undefined` (or `null`) when it was read without verifying. */
  readonly verification: ReportVerdict | null | undefined;
  /** The verifier key pinned for it, if any. */
  readonly verifierKey?: string | undefined;
  /** Its records that do not parse or match the record schema. @default none */
  readonly unreadableRecords?: readonly { readonly index: number; readonly reason: string }[];
}

/**
 * Options of {@link buildJoinedReportModel}.
 *
 * @example
 * ```ts
 * const options: JoinedReportOptions = { title: 'Incident 4711: support desk and orders server' };
 * ```
 */
export interface JoinedReportOptions {
  /** @default 'Writ audit report' */
  readonly title?: string;
  /** Report time. @default now */
  readonly now?: () => Date;
}

/**
 * A {@link ReportModel} over several logs, one investigation: every task of every log, a callee's task
 * that continued a caller's call nested under that call (`explainAllLogs` of `@writ/audit`), the links
 * between the logs and what does not join (findings), and each log with its verdict, key, services and
 * record facts (`logs`). `renderReport` draws it with one verification panel per log.
 *
 * @example
 * ```ts
 * const model = buildJoinedReportModel([caller, callee], { title: 'Where is order 42?' });
 * await writeFile('report.html', renderReport(model));
 * ```
 */
export function buildJoinedReportModel(
  logs: readonly ReportLogInput[],
  options: JoinedReportOptions = {},
): ReportModel {
  const { tasks, links, findings } = explainAllLogs(logs);
  const reportLogs = logs.map((input, i): ReportLog => {
    const services: string[] = [];
    for (const { event } of input.events)
      if (event.kind !== 'checkpoint') {
        const service = (event as AuditEvent).service;
        if (!services.includes(service)) services.push(service);
      }
    const recordFacts: Map<number, RecordFacts> = recordFactsOf(input.events);
    return {
      log: input.log,
      tag: `log ${i + 1}`,
      services,
      verification: input.verification ?? undefined,
      ...(input.verifierKey === undefined ? {} : { verifierKey: input.verifierKey }),
      unreadableRecords: input.unreadableRecords ?? [],
      recordFacts,
    };
  });
  return {
    title: options.title ?? 'Writ audit report',
    source: logs.map((l) => l.log).join(', '),
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    verification: undefined,
    tasks,
    unreadable: reportLogs.reduce((n, l) => n + l.unreadableRecords.length, 0),
    logs: reportLogs,
    links,
    findings,
  };
}

/**
 * `@writ/cli`: the `writ` command for investigators (verify, explain, tasks, calls, report, keys, policy,
 * approvals, demo). For
 * embedding and scripting it: {@link createProgram} runs it in-process and {@link EXIT_CODES} names its
 * exit codes; the `--json` output types describe what each command prints; the policy-case types describe
 * the files `writ policy test` reads; {@link buildReportModel} / {@link collectTasks} (with
 * {@link recordFactsOf}) and {@link renderReport} make the HTML report of `writ report` from your own
 * code (e.g. for a PostgreSQL log).
 * @packageDocumentation
 * @module @writ/cli
 */

export type { ApprovalRowJson, ApprovalStatus } from './commands/approval-row.js';
export type { ApprovalsListJson } from './commands/approvals.js';
export type { ApprovalAnsweredJson } from './commands/approvals-answer.js';
export type { CallRowJson, CallsJson } from './commands/calls.js';
export type { ExplainJson } from './commands/explain.js';
export type { ExportJson } from './commands/export.js';
export type { KeyInfo, KeysExportJson, KeysRotateJson, KeysShowJson } from './commands/keys.js';
export type {
  PolicyCaseResultJson,
  PolicyErrorJson,
  PolicyTestJson,
  PolicyValidateJson,
} from './commands/policy.js';
export type { ReportJson } from './commands/report.js';
export type { TaskRowJson, TasksJson } from './commands/tasks.js';
export type { VerifyJson } from './commands/verify.js';
export type { VerifyFleetJson } from './commands/verify-fleet.js';
export type { WitnessKeygenJson, WitnessServeJson } from './commands/witness.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';
export type { PolicyCase, PolicyCaseRequest } from './policy-cases.js';
export { createProgram, type WritProgram } from './program.js';
export { renderReport } from './report/render-report.js';
export {
  buildJoinedReportModel,
  type JoinedReportOptions,
  type ReportLogInput,
} from './report/report-join.js';
export {
  type BuildReportModelOptions,
  buildReportModel,
  collectTasks,
  type RecordFacts,
  type ReportLog,
  type ReportModel,
  type ReportVerdict,
  recordFactsOf,
} from './report/report-model.js';
export type { LogVerdictJson } from './shown-logs.js';
export { VERSION } from './version.js';

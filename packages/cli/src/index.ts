/**
 * `@writ/cli`: the `writ` command for investigators (verify, explain, report, keys, policy, demo), and its
 * pieces for programmatic use: {@link createProgram} to run it in-process, {@link renderReport} /
 * {@link buildReportModel} for HTML reports, the policy-case helpers, and the `--json` output types.
 * @packageDocumentation
 */
export type { ExplainJson } from './commands/explain.js';
export { colorExplain } from './commands/explain.js';
export {
  jwkThumbprint,
  type KeyInfo,
  type KeysExportJson,
  type KeysRotateJson,
  type KeysShowJson,
} from './commands/keys.js';
export type {
  PolicyCaseResultJson,
  PolicyErrorJson,
  PolicyTestJson,
  PolicyValidateJson,
} from './commands/policy.js';
export type { ReportJson } from './commands/report.js';
export type { VerifyJson } from './commands/verify.js';
export { type CommandContext, type CommonFlags, describeError } from './context.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export { type CliIo, type Colors, colorsFor, isTty, type ResolvedIo, resolveIo, useColor } from './io.js';
export {
  POLICY_CASE_DEFAULTS,
  type PolicyCase,
  type PolicyCaseRequest,
  parsePolicyCases,
  toAuthorizationRequest,
} from './policy-cases.js';
export { type ActionFactory, type CommandHandler, createProgram, type WritProgram } from './program.js';
export { type CreateProgressOptions, createProgress, type Progress } from './progress.js';
export { escapeHtml } from './report/escape-html.js';
export { REPORT_CSP, renderReport } from './report/render-report.js';
export {
  type BuildReportModelOptions,
  buildReportModel,
  collectTasks,
  type ReportCall,
  type ReportModel,
  reportCalls,
  type Verdict,
  verdictOf,
} from './report/report-model.js';
export { GRAPH_COLORS, GRAPH_DEFS, renderTaskGraph } from './report/task-graph.js';
export { VERSION } from './version.js';

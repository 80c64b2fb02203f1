import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JoinFinding, LogLink, VerificationState } from '@writ/audit';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addEvidenceOptions } from '../evidence-flags.js';
import type { ActionFactory } from '../program.js';
import type { ReportModel } from '../report/report-model.js';
import type { ShownLog } from '../shown-log.js';
import {
  type LogVerdictJson,
  logsExitCode,
  logVerdicts,
  printFindings,
  printLogsVerdicts,
  readShownLogs,
} from '../shown-logs.js';
import { safeTerminalText } from '../terminal-text.js';
import { verdictDetails, verdictHeadline } from '../verdict.js';

/**
 * The `--json` output of `writ report`. Given several logs, `logs` holds each one's verdict, `links`
 * and `findings` how they join, and the top-level verdict fields sum them up: `verified` only when every
 * log verified with a pinned key, `state` the weakest of their states (`failed` before `unpinned` before
 * `unanchored` before `anchored`; `null` when any was read with `--unverified`), `unproven` all they
 * cannot rule out, `firstBadIndex` and `reason` `null` (each log's are in `logs`).
 *
 * @example
 * ```ts
 * const { html, verified, logs, findings } = JSON.parse(stdout) as ReportJson;
 * for (const l of logs) if (l.verification?.state === 'failed') console.error(`${l.log}: record ${l.verification.firstBadIndex}`);
 * ```
 */
export interface ReportJson {
  /** Absolute path of the HTML file written. */
  readonly html: string;
  /**
   * Whether the log (every log) verified with a pinned key (`state` `anchored` or `unanchored`); the
   * report is written either way.
   */
  readonly verified: boolean;
  /** The verification state (as `writ verify` reports it; the weakest of several); `null` with `--unverified`. */
  readonly state: VerificationState | null;
  /** What the state cannot rule out (as `writ verify` reports it). */
  readonly unproven: readonly string[];
  /** Calls shown with a record that is not verified (failed, not sealed yet, or read without a pinned key). */
  readonly unverifiedCalls: number;
  /** First bad record when it does not verify, else `null` (always `null` with several logs). */
  readonly firstBadIndex: number | null;
  /** Why it does not verify, else `null`. */
  readonly reason: string | null;
  readonly tasks: number;
  readonly calls: number;
  /** Calls per verdict. */
  readonly verdicts: {
    readonly allow: number;
    readonly approval: number;
    readonly deny: number;
    readonly refused: number;
  };
  /** Records left out because they do not parse or match the record schema. */
  readonly unreadable: number;
  /** Each log read, with its verdict and its unreadable records, in the order given. */
  readonly logs: readonly LogVerdictJson[];
  /** Caller's call ↔ callee's task-start across the logs given (none with one log). */
  readonly links: readonly LogLink[];
  /** What does not join across the logs given (none with one log). */
  readonly findings: readonly JoinFinding[];
}

interface ReportFlags {
  html: string;
  title?: string;
}

/**
 * Registers `writ report <log...> --html <out.html> [--key [<log>=]<verifier-key> | --key-file
 * [<log>=]<file>]… [--checkpoint [<log>=]<file>]… [--unverified] [--title <text>] [--json]`.
 *
 * @example
 * ```ts
 * registerReportCommand(program, action);
 * ```
 */
export function registerReportCommand(program: Command, action: ActionFactory): void {
  const command = program
    .command('report')
    .description(
      'verify the log(s), then write a self-contained HTML report: verification status (per log), an authority-chain graph per task (joined across services with several logs), the links between logs and what does not join, a filterable table of calls, each marked when its records are not proven',
    )
    .argument(
      '<log...>',
      'log directory, or a PostgreSQL log (postgres://…#<log id>); several: one investigation, joined across services',
    )
    .requiredOption('--html <file>', 'where to write the HTML page');
  addEvidenceOptions(command, { unverified: true, many: true })
    .option('--title <text>', 'page title', 'Writ audit report')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Each log is verified first (with several logs, pin each one's key: --key <log>=<verifier-key>). The
report is written whatever the verdict (it says so at the top, per log, and marks every call whose
records are not proven). Several logs are joined as writ explain joins them: a callee's task that
continued a caller's call is drawn under that call, each link shows both (log, record), and what does
not join is listed as a finding and marked where it is. Exit codes: 0 verified with a pinned key and
anchored, 4 verified but unanchored (or a record shown is not sealed yet), 5 not verified (no --key, or
--unverified), 1 a log does not verify or a finding; 2 usage error, 3 a log cannot be read or the file
cannot be written, 6 not a Writ log.`,
    )
    .action(action(runReport));
}

/** The weakest state first: what sums up several logs. */
const WEAKEST: readonly VerificationState[] = ['failed', 'unpinned', 'unanchored', 'anchored'];

async function runReport(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<ReportFlags>();
  const out = ctx.path(flags.html);
  const logs = await readShownLogs(ctx, command);

  // loaded on demand: `writ --help` and the other commands start faster without the report code
  const { collectTasks, recordFactsOf, reportCalls } = await import('../report/report-model.js');
  const { buildJoinedReportModel } = await import('../report/report-join.js');
  const { renderReport } = await import('../report/render-report.js');
  const title = flags.title ?? 'Writ audit report';
  const [only] = logs;
  const model: ReportModel =
    logs.length === 1 && only !== undefined
      ? {
          title,
          source: only.dir,
          generatedAt: new Date().toISOString(),
          verification: only.verification ?? undefined,
          tasks: collectTasks(only.events),
          unreadable: only.unreadable.length,
          unreadableRecords: only.unreadable,
          recordFacts: recordFactsOf(only.events),
        }
      : buildJoinedReportModel(logs.map(reportInput), { title });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, renderReport(model), 'utf8');

  const rows = reportCalls(model.tasks);
  const verdicts = { allow: 0, approval: 0, deny: 0, refused: 0 };
  for (const row of rows) verdicts[row.verdict]++;
  const states = logs.map((l) => l.verification?.state ?? null);
  const json: ReportJson = {
    html: out,
    verified: states.every((s) => s === 'anchored' || s === 'unanchored'),
    state: states.includes(null) ? null : (WEAKEST.find((s) => states.includes(s)) ?? null),
    unproven: [...new Set(logs.flatMap((l) => l.verification?.unproven ?? []))],
    unverifiedCalls: rows.filter((row) => row.call.evidence !== 'verified').length,
    firstBadIndex: logs.length === 1 ? (only?.verification?.firstBadIndex ?? null) : null,
    reason: logs.length === 1 ? (only?.verification?.reason ?? null) : null,
    tasks: model.tasks.length,
    calls: rows.length,
    verdicts,
    unreadable: model.unreadable ?? 0,
    logs: logVerdicts(logs),
    links: model.links ?? [],
    findings: model.findings ?? [],
  };
  if (ctx.json) ctx.printJson(json);
  else printReport(ctx, logs, json);
  return logsExitCode(logs, {
    found: true,
    allVerified: json.unverifiedCalls === 0,
    findings: json.findings.length,
  });
}

/** A log read for showing, as the joined report model takes it. */
function reportInput(log: ShownLog) {
  return {
    log: log.dir,
    events: log.events,
    verification: log.verification,
    verifierKey: log.verifierKey,
    unreadableRecords: log.unreadable,
  };
}

/** What `writ report` prints without `--json`: what it wrote, each log's verdict, the findings. */
function printReport(ctx: CommandContext, logs: readonly ShownLog[], json: ReportJson): void {
  const c = ctx.out;
  const links = logs.length > 1 ? `, ${json.links.length} link(s) between ${logs.length} logs` : '';
  ctx.print(
    `${c.green('✔')} wrote ${safeTerminalText(json.html)}: ${json.tasks} task(s), ${json.calls} call(s)${links}`,
  );
  const [only] = logs;
  if (logs.length > 1) printLogsVerdicts(ctx, logs);
  else if (only?.verification === null || only === undefined)
    ctx.print(`  log ${c.yellow(c.bold('not checked'))} (--unverified): nothing in it is proven`);
  else {
    ctx.print(`  log ${verdictHeadline(only.verification, c)}`);
    for (const line of verdictDetails(only.verification, c)) ctx.print(`  ${line}`);
  }
  if (json.unverifiedCalls > 0 && logs.every((l) => l.verification?.keyPinned === true))
    ctx.print(
      c.yellow(
        `  ${json.unverifiedCalls} call(s) shown with records that are not proven (marked in the page)`,
      ),
    );
  if (json.unreadable > 0) ctx.print(c.yellow(`  ${json.unreadable} unreadable record(s) left out`));
  printFindings(ctx, json.findings);
}

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VerificationState } from '@writ/audit';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addEvidenceOptions, readEvidenceFlags } from '../evidence-flags.js';
import { EXIT_CODES } from '../exit-codes.js';
import { checkLogDir } from '../log-dir.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';
import { verdictDetails, verdictExitCode, verdictHeadline, verdictJson } from '../verdict.js';

/**
 * The `--json` output of `writ report`.
 *
 * @example
 * ```ts
 * const { html, verified } = JSON.parse(stdout) as ReportJson;
 * ```
 */
export interface ReportJson {
  /** Absolute path of the HTML file written. */
  readonly html: string;
  /**
   * Whether the log verified with a pinned key (`state` `anchored` or `unanchored`); the report is
   * written either way.
   */
  readonly verified: boolean;
  /** The verification state (as `writ verify` reports it); `null` with `--unverified`. */
  readonly state: VerificationState | null;
  /** What the state cannot rule out (as `writ verify` reports it). */
  readonly unproven: readonly string[];
  /** Calls shown with a record that is not verified (failed, not sealed yet, or read without a pinned key). */
  readonly unverifiedCalls: number;
  /** First bad record when it does not verify, else `null`. */
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
}

interface ReportFlags {
  html: string;
  title?: string;
}

/**
 * Registers `writ report <log-dir> --html <out.html> [--key <verifier-key> | --key-file <file>]
 * [--checkpoint <file>] [--unverified] [--title <text>] [--json]`.
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
      'verify the log, then write a self-contained HTML report: verification status, an authority-chain graph per task, a filterable table of calls, each marked when its records are not proven',
    )
    .argument('<log-dir>', 'log directory')
    .requiredOption('--html <file>', 'where to write the HTML page');
  addEvidenceOptions(command, { unverified: true })
    .option('--title <text>', 'page title', 'Writ audit report')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
The report is written whatever the verdict (it says so at the top, and marks every call whose records
are not proven). Exit codes, as writ verify's for the log: 0 verified with a pinned key and anchored,
4 verified but unanchored, 5 not verified (no --key, or --unverified), 1 the log does not verify; 2 usage
error, 3 the log cannot be read or the file cannot be written, 6 not a Writ log.`,
    )
    .action(action(runReport));
}

async function runReport(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<ReportFlags>();
  const evidence = await readEvidenceFlags(ctx, command);
  const dir = ctx.path(command.args[0] as string);
  const out = ctx.path(flags.html);
  await checkLogDir(dir);

  // loaded on demand: `writ --help` and the other commands start faster without the log reader
  const { buildReportModel, reportCalls } = await import('../report/report-model.js');
  const { renderReport } = await import('../report/render-report.js');
  const bars = { verify: ctx.progress({ label: 'verifying' }), read: ctx.progress({ label: 'reading  ' }) };
  let model: Awaited<ReturnType<typeof buildReportModel>>;
  try {
    model = await buildReportModel(dir, {
      ...evidence,
      ...(flags.title === undefined ? {} : { title: flags.title }),
      onProgress: (phase, n) => {
        if (phase === 'read') bars.verify.stop();
        bars[phase].update(n);
      },
    });
  } finally {
    bars.verify.stop();
    bars.read.stop();
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, renderReport(model), 'utf8');

  const rows = reportCalls(model.tasks);
  const v = model.verification;
  const verdicts = { allow: 0, approval: 0, deny: 0, refused: 0 };
  for (const row of rows) verdicts[row.verdict]++;
  const json: ReportJson = {
    html: out,
    verified: v?.state === 'anchored' || v?.state === 'unanchored',
    state: v?.state ?? null,
    unproven: v === undefined ? [] : [...v.unproven],
    unverifiedCalls: rows.filter((row) => row.call.evidence !== 'verified').length,
    firstBadIndex: v?.firstBadIndex ?? null,
    reason: v?.reason ?? null,
    tasks: model.tasks.length,
    calls: rows.length,
    verdicts,
    unreadable: model.unreadable ?? 0,
  };
  if (ctx.json) ctx.printJson(json);
  else {
    const c = ctx.out;
    ctx.print(`${c.green('✔')} wrote ${safeTerminalText(out)}: ${json.tasks} task(s), ${json.calls} call(s)`);
    if (v === undefined)
      ctx.print(`  log ${c.yellow(c.bold('not checked'))} (--unverified): nothing in it is proven`);
    else {
      const verdict = verdictJson(v, dir);
      ctx.print(`  log ${verdictHeadline(verdict, c)}`);
      for (const line of verdictDetails(verdict, c)) ctx.print(`  ${line}`);
    }
    if (json.unverifiedCalls > 0 && v !== undefined && v.keyPinned)
      ctx.print(
        c.yellow(
          `  ${json.unverifiedCalls} call(s) shown with records that are not proven (marked in the page)`,
        ),
      );
    if (json.unreadable > 0) ctx.print(c.yellow(`  ${json.unreadable} unreadable record(s) left out`));
  }
  if (v === undefined) return EXIT_CODES.unverified;
  const code = verdictExitCode(v);
  return code === EXIT_CODES.ok && json.unverifiedCalls > 0 ? EXIT_CODES.unanchored : code;
}

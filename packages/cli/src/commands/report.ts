import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WritError } from '@writ/core';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';

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
  /** Whether the log verified (the report is written either way). */
  readonly verified: boolean;
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
  key?: string;
  keyFile?: string;
  checkpoint?: string;
  title?: string;
}

/**
 * Registers `writ report <log-dir> --html <out.html> [--key <verifier-key> | --key-file <file>]
 * [--checkpoint <file>] [--title <text>] [--json]`.
 *
 * @example
 * ```ts
 * registerReportCommand(program, action);
 * ```
 */
export function registerReportCommand(program: Command, action: ActionFactory): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML report: verification status, an authority-chain graph per task, a filterable table of calls',
    )
    .argument('<log-dir>', 'log directory')
    .requiredOption('--html <file>', 'where to write the HTML page')
    .option('--key <verifier-key>', 'C2SP verifier key obtained independently of the log (pins the key)')
    .option('--key-file <file>', 'read the verifier key from a file')
    .option('--checkpoint <file>', "a checkpoint note obtained independently (a witness's copy)")
    .option('--title <text>', 'page title', 'Writ audit report')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
The report is written even when the log does not verify (it says so at the top).
Exit codes: 0 written and the log verifies, 1 written but the log does not verify, 2 usage error,
3 the log cannot be read or the file cannot be written.`,
    )
    .action(action(runReport));
}

async function runReport(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<ReportFlags>();
  if (flags.key !== undefined && flags.keyFile !== undefined)
    command.error('error: give either --key or --key-file, not both', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  const dir = ctx.path(command.args[0] as string);
  const out = ctx.path(flags.html);
  const info = await stat(dir).catch((cause: unknown) => {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} cannot be read`, { cause });
  });
  if (!info.isDirectory()) throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} is not a log directory`);
  const verifierKey =
    flags.keyFile !== undefined ? (await readFile(ctx.path(flags.keyFile), 'utf8')).trim() : flags.key;
  const checkpoint =
    flags.checkpoint === undefined ? undefined : await readFile(ctx.path(flags.checkpoint), 'utf8');

  // loaded on demand: `writ --help` and the other commands start faster without the log reader
  const { buildReportModel, reportCalls } = await import('../report/report-model.js');
  const { renderReport } = await import('../report/render-report.js');
  const bars = { verify: ctx.progress({ label: 'verifying' }), read: ctx.progress({ label: 'reading  ' }) };
  let model: Awaited<ReturnType<typeof buildReportModel>>;
  try {
    model = await buildReportModel(dir, {
      ...(verifierKey === undefined ? {} : { verifierKey }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
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
  const verified = v?.ok === true;
  const verdicts = { allow: 0, approval: 0, deny: 0, refused: 0 };
  for (const row of rows) verdicts[row.verdict]++;
  const json: ReportJson = {
    html: out,
    verified,
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
    ctx.print(`${c.green('✔')} wrote ${out}: ${json.tasks} task(s), ${json.calls} call(s)`);
    ctx.print(
      verified
        ? `  log ${c.green('verified')}`
        : `  log ${c.red(c.bold('does NOT verify'))}: first bad record ${json.firstBadIndex}: ${safeTerminalText(json.reason ?? '')}`,
    );
    if (json.unreadable > 0) ctx.print(c.yellow(`  ${json.unreadable} unreadable record(s) left out`));
  }
  return verified ? EXIT_CODES.ok : EXIT_CODES.failed;
}

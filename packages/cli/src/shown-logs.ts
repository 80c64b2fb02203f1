import type { JoinFinding, RecordEvidence, TaskNode } from '@writ/audit';
import type { Command } from 'commander';
import { readBundleLogs } from './bundle-logs.js';
import type { CommandContext } from './command-context.js';
import { readLogsEvidence } from './evidence-flags.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { flattenTasks, type ListFilters, readListFilters } from './list-filters.js';
import { printLogVerdict, readShownLog, type ShownLog, shownExitCode } from './shown-log.js';
import { safeTerminalText } from './terminal-text.js';
import { verdictDetails, verdictHeadline } from './verdict.js';

/**
 * Several logs read for one investigation (`explain`, `tasks`, `calls` given more than one log): each
 * verified first with its own evidence (`--key <log>=<verifier-key>`), each verdict shown, and one exit
 * code for the whole.
 */

/**
 * One log's verdict in the `--json` output of a command given several logs.
 *
 * @example
 * ```ts
 * const failed = (JSON.parse(stdout).logs as LogVerdictJson[]).filter((l) => l.verification?.state === 'failed');
 * ```
 */
export interface LogVerdictJson {
  /** The log: its directory (absolute), or `postgres://host:port/db#<log id>`. */
  readonly log: string;
  /** Its verdict (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification: ShownLog['verification'];
  /** Its records that do not parse or match the record schema. */
  readonly unreadable: ShownLog['unreadable'];
}

/**
 * Reads every log given as the command's arguments (`<log...>`), each verified with its own evidence
 * flags ({@link readLogsEvidence}), one after the other; a fleet bundle given as one of them is read as
 * its fleet log and its members, each member verified with the key the fleet log endorsed
 * ({@link readBundleLogs}).
 *
 * @example
 * ```ts
 * const logs = await readShownLogs(ctx, command);
 * ```
 */
export async function readShownLogs(ctx: CommandContext, command: Command): Promise<ShownLog[]> {
  const targets = command.args as string[];
  const evidence = await readLogsEvidence(ctx, command, targets);
  const logs: ShownLog[] = [];
  for (const [i, target] of targets.entries()) {
    const given = evidence[i] as (typeof evidence)[number];
    logs.push(...((await readBundleLogs(ctx, target, given)) ?? [await readShownLog(ctx, target, given)]));
  }
  return logs;
}

/**
 * The verdict of each log as `--json` shows it.
 *
 * @example
 * ```ts
 * ctx.printJson({ logs: logVerdicts(logs), tasks });
 * ```
 */
export function logVerdicts(logs: readonly ShownLog[]): LogVerdictJson[] {
  return logs.map(({ dir, verification, unreadable }) => ({ log: dir, verification, unreadable }));
}

/**
 * The fields of a `--json` document that describe the logs read: with one log, its `verification` and
 * `unreadable` (as before several logs could be given) and `logs`; with several, `logs` only.
 *
 * @example
 * ```ts
 * ctx.printJson({ query, ...logsJson(logs), tasks });
 * ```
 */
export function logsJson(logs: readonly ShownLog[]): {
  logs: LogVerdictJson[];
  verification?: ShownLog['verification'];
  unreadable?: ShownLog['unreadable'];
} {
  const [only] = logs;
  return logs.length === 1 && only !== undefined
    ? { verification: only.verification, unreadable: only.unreadable, logs: logVerdicts(logs) }
    : { logs: logVerdicts(logs) };
}

/**
 * Prints what each log's verification proves: for one log as {@link printLogVerdict} does; for several,
 * one headline per log naming it, its details and its unreadable records.
 *
 * @example
 * ```ts
 * printLogsVerdicts(ctx, logs);
 * ```
 */
export function printLogsVerdicts(ctx: CommandContext, logs: readonly ShownLog[]): void {
  const [only] = logs;
  if (logs.length === 1 && only !== undefined) {
    printLogVerdict(ctx, only);
    return;
  }
  const c = ctx.out;
  for (const log of logs) {
    if (log.verification === null)
      ctx.print(
        `${c.yellow(c.bold('⚠ not verified'))} ${safeTerminalText(log.dir)}: read with --unverified; nothing from it is proven`,
      );
    else {
      ctx.print(verdictHeadline(log.verification, c, log.dir));
      for (const line of verdictDetails(log.verification, c)) ctx.print(`  ${line}`);
    }
    for (const r of log.unreadable)
      ctx.print(
        c.red(
          `  ✖ record ${r.index} cannot be read (${safeTerminalText(r.reason)}): what it held is not shown`,
        ),
      );
  }
}

/**
 * Prints the findings of joining several logs (a section headed `findings`), every field escaped.
 *
 * @example
 * ```ts
 * printFindings(ctx, findings);
 * ```
 */
export function printFindings(ctx: CommandContext, findings: readonly JoinFinding[]): void {
  if (findings.length === 0) return;
  const c = ctx.out;
  ctx.print('');
  ctx.print(c.red(c.bold(`findings (${findings.length})`)));
  for (const f of findings)
    ctx.print(
      `${c.red(`✖ ${f.kind}`)} at ${safeTerminalText(f.log)} record ${f.index}: ${safeTerminalText(f.message)}`,
    );
}

/** How bad each exit code is, for the exit code of several logs: the worst wins. */
const SEVERITY: Partial<Record<ExitCode, number>> = {
  [EXIT_CODES.ok]: 0,
  [EXIT_CODES.unanchored]: 1,
  [EXIT_CODES.unverified]: 2,
  [EXIT_CODES.failed]: 3,
};

/**
 * The exit code of a command that showed part of several logs: 1 when nothing matched, when any log
 * does not verify or when joining them found anything; else the worst of the logs' ({@link
 * shownExitCode}: 5 for a log read without a pinned key, 4 for one unanchored or with something shown
 * unsealed, 0 only when every log is verified and anchored and every record shown is).
 *
 * @example
 * ```ts
 * return logsExitCode(logs, { found: tasks.length > 0, allVerified, findings: findings.length });
 * ```
 */
export function logsExitCode(
  logs: readonly ShownLog[],
  shown: { found: boolean; allVerified: boolean; findings?: number },
): ExitCode {
  if (!shown.found || (shown.findings ?? 0) > 0) return EXIT_CODES.failed;
  let worst: ExitCode = EXIT_CODES.ok;
  for (const log of logs) {
    const code = shownExitCode(log, shown);
    if ((SEVERITY[code] ?? 3) > (SEVERITY[worst] ?? 3)) worst = code;
  }
  return worst;
}

/**
 * What a listing command (`tasks`, `calls`) starts from: its filters (usage errors first), the logs read
 * for showing, and every task of each, depth first (with `--task`, that task's subtree), with its log.
 *
 * @example
 * ```ts
 * const { filters, logs, tasks } = await readListing(ctx, command);
 * ```
 */
export async function readListing(
  ctx: CommandContext,
  command: Command,
): Promise<{ filters: ListFilters; logs: ShownLog[]; tasks: { log: ShownLog; task: TaskNode }[] }> {
  const filters = readListFilters(command);
  const logs = await readShownLogs(ctx, command);
  const { collectTasks } = await import('./report/report-model.js');
  const tasks = logs.flatMap((log) =>
    flattenTasks(collectTasks(log.events), filters.task).map((task) => ({ log, task })),
  );
  return { filters, logs, tasks };
}

/**
 * What a listing command (`tasks`, `calls`) shows: under `--json` its `document` (the verdicts, the
 * unreadable records and the rows); otherwise the verdicts, then the rows as `print` lays them out; `no
 * <what> in <log> matches` on stderr when there is none. Returns the exit code ({@link logsExitCode}: a
 * row whose records are not all verified makes 0 a 4).
 *
 * @example
 * ```ts
 * const document = { ...logsJson(logs), calls: rows } satisfies CallsJson;
 * return showListing(ctx, logs, { what: 'call', rows, document, print: (rows) => printCalls(ctx, rows) });
 * ```
 */
export function showListing<Row extends { readonly evidence: RecordEvidence | null }>(
  ctx: CommandContext,
  logs: readonly ShownLog[],
  listing: { what: string; rows: readonly Row[]; document: unknown; print: (rows: readonly Row[]) => void },
): ExitCode {
  const { rows } = listing;
  if (ctx.json) ctx.printJson(listing.document);
  else {
    printLogsVerdicts(ctx, logs);
    if (rows.length > 0) {
      ctx.print('');
      listing.print(rows);
    }
  }
  if (rows.length === 0)
    ctx.note(`no ${listing.what} in ${logs.map((log) => safeTerminalText(log.dir)).join(', ')} matches`);
  return logsExitCode(logs, {
    found: rows.length > 0,
    allVerified: rows.every((row) => row.evidence === 'verified'),
  });
}

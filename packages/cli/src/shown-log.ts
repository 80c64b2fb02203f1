import type { LogRecord, RecordEvidence, TaskNode, VerifiedRecord } from '@writ/audit';
import type { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { readEvidenceFlags } from './evidence-flags.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import type { Colors } from './io.js';
import { flattenTasks, type ListFilters, readListFilters } from './list-filters.js';
import { checkLogDir } from './log-dir.js';
import type { Cell } from './table.js';
import { safeTerminalText } from './terminal-text.js';
import { type VerifyJson, verdictDetails, verdictExitCode, verdictHeadline, verdictJson } from './verdict.js';

/**
 * A log as the commands that show what it holds read it (`explain`, `tasks`, `calls`): verified first,
 * in the same pass, every record with what that proves; the verdict and the unreadable records are
 * printed above whatever the command shows.
 */

/**
 * One record that does not parse or match the record schema: what it held is shown nowhere.
 *
 * @example
 * ```ts
 * const line = `record ${r.index} cannot be read (${r.reason})`;
 * ```
 */
export interface UnreadableRecord {
  readonly index: number;
  readonly reason: string;
  readonly evidence: RecordEvidence;
}

/**
 * A log read for showing.
 *
 * @example
 * ```ts
 * const log: ShownLog = await readShownLog(ctx, command);
 * const tasks = collectTasks(log.events);
 * ```
 */
export interface ShownLog {
  /** The log directory (absolute). */
  readonly dir: string;
  /** The verdict (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification: VerifyJson | null;
  readonly unreadable: readonly UnreadableRecord[];
  /** The records that parse, with their evidence, as `explain` takes them. */
  readonly events: readonly { index: number; event: LogRecord; evidence: RecordEvidence }[];
  /** The time of record `index` (ISO 8601), for the records that parse. */
  timeOf(index: number): string | undefined;
}

/**
 * Reads the log directory given as the command's first argument: checks it is a Writ log (`not a Writ
 * log: <dir>` otherwise), reads the evidence flags, then verifies and reads it with a progress bar.
 *
 * @example
 * ```ts
 * const log = await readShownLog(ctx, command);
 * ```
 */
export async function readShownLog(ctx: CommandContext, command: Command): Promise<ShownLog> {
  const evidence = await readEvidenceFlags(ctx, command);
  const dir = ctx.path(command.args[0] as string);
  await checkLogDir(dir);
  const { readVerifiedLog } = await import('@writ/audit');
  const progress = ctx.progress({ label: 'verifying' });
  let read: Awaited<ReturnType<typeof readVerifiedLog>>;
  try {
    read = await readVerifiedLog(dir, { ...evidence, onProgress: (n) => progress.update(n) });
  } finally {
    progress.stop();
  }
  const times = new Map<number, string>();
  for (const { index, record } of read.records)
    if (record !== undefined && 'time' in record) times.set(index, record.time);
  return {
    dir,
    verification: read.verification === undefined ? null : verdictJson(read.verification, dir),
    unreadable: read.records
      .filter((r) => r.record === undefined)
      .map((r) => ({ index: r.index, reason: r.problem ?? 'unreadable', evidence: r.evidence })),
    events: eventsOf(read.records),
    timeOf: (index) => times.get(index),
  };
}

/**
 * What a listing command (`tasks`, `calls`) starts from: its filters (usage errors first), the log read
 * for showing, and every task in it, depth first (with `--task`, that task's subtree).
 *
 * @example
 * ```ts
 * const { filters, log, tasks } = await readListing(ctx, command);
 * ```
 */
export async function readListing(
  ctx: CommandContext,
  command: Command,
): Promise<{ filters: ListFilters; log: ShownLog; tasks: TaskNode[] }> {
  const filters = readListFilters(command);
  const log = await readShownLog(ctx, command);
  const { collectTasks } = await import('./report/report-model.js');
  return { filters, log, tasks: flattenTasks(collectTasks(log.events), filters.task) };
}

/** The records that parse, with their evidence. */
function eventsOf(records: readonly VerifiedRecord[]) {
  return records.flatMap(({ index, record, evidence }) =>
    record === undefined ? [] : [{ index, event: record, evidence }],
  );
}

/**
 * Prints what the log's verification proves (or that it was not verified), then the records that
 * cannot be read.
 *
 * @example
 * ```ts
 * printLogVerdict(ctx, log);
 * ```
 */
export function printLogVerdict(ctx: CommandContext, log: ShownLog): void {
  const c = ctx.out;
  if (log.verification === null)
    ctx.print(`${c.yellow(c.bold('⚠ not verified'))}: read with --unverified; nothing below is proven`);
  else {
    ctx.print(verdictHeadline(log.verification, c));
    for (const line of verdictDetails(log.verification, c)) ctx.print(line);
  }
  for (const r of log.unreadable)
    ctx.print(
      c.red(`✖ record ${r.index} cannot be read (${safeTerminalText(r.reason)}): what it held is not shown`),
    );
}

/**
 * The exit code of a command that showed part of a log: 1 when nothing matched, else the verdict's
 * (5 without a pinned key or with `--unverified`), and 4 rather than 0 when something shown is not
 * verified.
 *
 * @example
 * ```ts
 * return shownExitCode(log, { found: rows.length > 0, allVerified: rows.every((r) => r.evidence === 'verified') });
 * ```
 */
export function shownExitCode(log: ShownLog, shown: { found: boolean; allVerified: boolean }): ExitCode {
  if (!shown.found) return EXIT_CODES.failed;
  if (log.verification === null) return EXIT_CODES.unverified;
  const code = verdictExitCode(log.verification);
  return code === EXIT_CODES.ok && !shown.allVerified ? EXIT_CODES.unanchored : code;
}

/**
 * How a listing shows what verification proves about a row's records: `verified`, `unsealed` (amber),
 * `FAILED` (red), `unverified` (amber: no pinned key, or `--unverified`).
 *
 * @example
 * ```ts
 * const cell = evidenceCell(task.evidence, ctx.out);
 * ```
 */
export function evidenceCell(evidence: RecordEvidence | undefined, c: Colors): Cell {
  switch (evidence) {
    case 'verified':
      return { text: 'verified' };
    case 'unsealed':
      return { text: 'unsealed', paint: c.yellow };
    case 'failed':
      return { text: 'FAILED', paint: (s) => c.red(c.bold(s)) };
    default:
      return { text: 'unverified', paint: c.yellow };
  }
}

/**
 * What a listing command (`tasks`, `calls`) shows: under `--json` its `document` (the verdict, the
 * unreadable records and the rows); otherwise the verdict, then the rows as `print` lays them out; `no
 * <what> in <dir> matches` on stderr when there is none. Returns the exit code ({@link shownExitCode}: a
 * row whose records are not all verified makes 0 a 4).
 *
 * @example
 * ```ts
 * const document = { verification: log.verification, unreadable: log.unreadable, calls: rows } satisfies CallsJson;
 * return showListing(ctx, log, { what: 'call', rows, document, print: (rows) => printCalls(ctx, rows) });
 * ```
 */
export function showListing<Row extends { readonly evidence: RecordEvidence | null }>(
  ctx: CommandContext,
  log: ShownLog,
  listing: { what: string; rows: readonly Row[]; document: unknown; print: (rows: readonly Row[]) => void },
): ExitCode {
  const { rows } = listing;
  if (ctx.json) ctx.printJson(listing.document);
  else {
    printLogVerdict(ctx, log);
    if (rows.length > 0) {
      ctx.print('');
      listing.print(rows);
    }
  }
  if (rows.length === 0) ctx.note(`no ${listing.what} in ${safeTerminalText(log.dir)} matches`);
  return shownExitCode(log, {
    found: rows.length > 0,
    allVerified: rows.every((row) => row.evidence === 'verified'),
  });
}

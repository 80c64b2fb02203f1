import type { LogRecord, RecordEvidence, VerifiedRecord } from '@writ/audit';
import { WritError } from '@writ/core';
import type { CommandContext } from './command-context.js';
import type { Evidence } from './evidence-flags.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import type { Colors } from './io.js';
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
 * const log: ShownLog = await readShownLog(ctx, './audit', { verify: true, verifierKey });
 * const tasks = collectTasks(log.events);
 * ```
 */
export interface ShownLog {
  /** The log: its directory (absolute), or `postgres://host:port/db#<log id>` (no credentials). */
  readonly dir: string;
  /** The verdict (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification: VerifyJson | null;
  /** The verifier key it was verified with, when one was pinned (`--key`, `--key-file`). */
  readonly verifierKey?: string;
  readonly unreadable: readonly UnreadableRecord[];
  /**
   * Decision records whose shared evaluated context this log does not resolve (shown as stored, the
   * per-call part only); with a verdict, its warnings name them too.
   */
  readonly findings: readonly { readonly index: number; readonly kind: string; readonly message: string }[];
  /** The log's origin, as its verification read it (absent with `--unverified`). */
  readonly origin?: string;
  /** The records that parse, with their evidence, as `explain` takes them. */
  readonly events: readonly {
    index: number;
    event: LogRecord;
    evidence: RecordEvidence;
    /** Hex leaf hash of the stored line (what a receipt for it names). */
    leafHash?: string;
  }[];
  /** The time of record `index` (ISO 8601), for the records that parse. */
  timeOf(index: number): string | undefined;
}

/** A PostgreSQL log given as `postgres://…#<log id>`. */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Reads one log for showing, verified first with `evidence`: a log directory (checked to be a Writ log:
 * `not a Writ log: <dir>` otherwise), or a PostgreSQL log given as `postgres://…#<log id>` (verified as
 * `writ verify` does), with a progress bar.
 *
 * @example
 * ```ts
 * const log = await readShownLog(ctx, './audit', { verify: true, verifierKey });
 * ```
 */
export async function readShownLog(
  ctx: CommandContext,
  target: string,
  evidence: Evidence,
): Promise<ShownLog> {
  const { readVerifiedLog, readVerifiedPostgresLog } = await import('@writ/audit');
  const progress = ctx.progress({ label: 'verifying' });
  const options = { ...evidence, onProgress: (n: number) => progress.update(n) };
  let read: Awaited<ReturnType<typeof readVerifiedLog>>;
  let dir: string;
  try {
    if (POSTGRES_URL.test(target)) {
      const hash = target.indexOf('#');
      const logId = hash < 0 ? '' : target.slice(hash + 1);
      const connectionString = hash < 0 ? target : target.slice(0, hash);
      if (logId === '')
        throw new WritError('WRIT_OPTIONS_INVALID', 'give a PostgreSQL log as postgres://…#<log id>');
      const { safeConnectionString } = await import('@writ/audit/internal');
      dir = `${safeConnectionString(connectionString)}#${logId}`;
      read = await readVerifiedPostgresLog(logId, { connectionString, ...options });
    } else {
      dir = ctx.path(target);
      await checkLogDir(dir);
      read = await readVerifiedLog(dir, options);
    }
  } finally {
    progress.stop();
  }
  const times = new Map<number, string>();
  for (const { index, record } of read.records)
    if (record !== undefined && 'time' in record) times.set(index, record.time);
  return {
    dir,
    verification: read.verification === undefined ? null : verdictJson(read.verification, dir),
    ...(evidence.verifierKey === undefined ? {} : { verifierKey: evidence.verifierKey }),
    ...(read.verification === undefined ? {} : { origin: read.verification.origin }),
    unreadable: read.records
      .filter((r) => r.record === undefined)
      .map((r) => ({ index: r.index, reason: r.problem ?? 'unreadable', evidence: r.evidence })),
    findings: read.records.flatMap((r) => (r.finding === undefined ? [] : [r.finding])),
    events: eventsOf(read.records),
    timeOf: (index) => times.get(index),
  };
}

/** The records that parse, with their evidence. */
function eventsOf(records: readonly VerifiedRecord[]) {
  return records.flatMap(({ index, record, evidence, leafHash }) =>
    record === undefined
      ? []
      : [
          leafHash === undefined
            ? { index, event: record, evidence }
            : { index, event: record, evidence, leafHash },
        ],
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
  // a verdict lists them among its warnings
  if (log.verification === null)
    for (const f of log.findings)
      ctx.print(c.red(`✖ record ${f.index} (decision): ${f.kind}: ${safeTerminalText(f.message)}`));
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

import { stat } from 'node:fs/promises';
import type { ExplainQuery, RecordEvidence, TaskNode, VerifiedRecord } from '@writ/audit';
import { WritError } from '@writ/core';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addEvidenceOptions, readEvidenceFlags } from '../evidence-flags.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { Colors } from '../io.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';
import {
  type VerifyJson,
  verdictDetails,
  verdictExitCode,
  verdictHeadline,
  verdictJson,
} from '../verdict.js';

/**
 * The `--json` output of `writ explain`: the query, the verdict on the log (verified first, in the same
 * pass), the records that cannot be read, and the matching authority-chain trees (`TaskNode` of
 * `@writ/audit`: requester, agent chain, scope, calls with decision / approval / credential / outcome,
 * nested delegations; every node lists its records with their evidence and its weakest). Fields
 * without a value are omitted from the trees.
 *
 * @example
 * ```ts
 * const { verification, tasks } = JSON.parse(stdout) as ExplainJson;
 * if (verification?.state !== 'anchored') console.warn('not everything below is proven');
 * for (const call of tasks[0]?.calls ?? []) console.log(call.tool, call.decision.effect, call.evidence);
 * ```
 */
export interface ExplainJson {
  readonly query: ExplainQuery;
  /** The verdict on the log (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification: VerifyJson | null;
  /** Records that do not parse or match the record schema: what they held is in no tree. */
  readonly unreadable: readonly { index: number; reason: string; evidence: RecordEvidence }[];
  readonly tasks: readonly TaskNode[];
}

interface ExplainFlags {
  task?: string;
  call?: string;
  correlation?: string;
  includeUnverifiedCorrelation?: boolean;
}

/**
 * Registers `writ explain <log-dir> --task <id> | --call <id> | --correlation <id> [--key <verifier-key>
 * | --key-file <file>] [--checkpoint <file>] [--unverified] [--json]`.
 *
 * @example
 * ```ts
 * registerExplainCommand(program, action);
 * ```
 */
export function registerExplainCommand(program: Command, action: ActionFactory): void {
  const command = program
    .command('explain')
    .description(
      'verify the log, then show the authority chain of a task, a call or a correlation id: requester → agents → decisions → approvals → credentials → outcomes, marking every record that is not proven',
    )
    .argument('<log-dir>', 'log directory')
    .option('--task <id>', 'a task id (with its delegations)')
    .option('--call <id>', 'a tool call id')
    .option('--correlation <id>', 'a correlation id (every task that carries it)')
    .option(
      '--include-unverified-correlation',
      'with --correlation, also tasks whose correlation id came from unsigned baggage (the caller chose it)',
    );
  addEvidenceOptions(command, { unverified: true })
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Give exactly one of --task, --call, --correlation. The log is verified first; records that do not
verify, or that no checkpoint covers yet, are marked where they are shown.
Exit codes: 0 found, verified with a pinned key and anchored, 4 found and verified with a pinned key but
unanchored (or a record shown is not sealed yet), 5 not verified (no --key, or --unverified), 1 nothing
in the log matches or the log does not verify, 2 usage error, 3 the log cannot be read.`,
    )
    .action(action(runExplain));
}

async function runExplain(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<ExplainFlags>();
  const given = [
    flags.task === undefined ? undefined : ({ taskId: flags.task } as const),
    flags.call === undefined ? undefined : ({ callId: flags.call } as const),
    flags.correlation === undefined
      ? undefined
      : ({
          correlationId: flags.correlation,
          includeUnverified: flags.includeUnverifiedCorrelation === true,
        } as const),
  ].filter((q) => q !== undefined);
  if (given.length !== 1)
    command.error('error: give exactly one of --task <id>, --call <id>, --correlation <id>', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  const evidence = await readEvidenceFlags(ctx, command);
  const query = given[0] as ExplainQuery;
  const dir = ctx.path(command.args[0] as string);
  const info = await stat(dir).catch((cause: unknown) => {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} cannot be read`, { cause });
  });
  if (!info.isDirectory()) throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} is not a log directory`);
  const { explain, formatExplain, readVerifiedLog } = await import('@writ/audit');
  const progress = ctx.progress({ label: 'verifying' });
  let read: Awaited<ReturnType<typeof readVerifiedLog>>;
  try {
    read = await readVerifiedLog(dir, { ...evidence, onProgress: (n) => progress.update(n) });
  } finally {
    progress.stop();
  }
  const verification = read.verification === undefined ? null : verdictJson(read.verification, dir);
  const unreadable = read.records
    .filter((r) => r.record === undefined)
    .map((r) => ({ index: r.index, reason: r.problem ?? 'unreadable', evidence: r.evidence }));
  const tasks = explain(eventsOf(read.records), query);

  if (ctx.json) ctx.printJson({ query, verification, unreadable, tasks } satisfies ExplainJson);
  else {
    const c = ctx.out;
    if (verification === null)
      ctx.print(`${c.yellow(c.bold('⚠ not verified'))}: read with --unverified; nothing below is proven`);
    else {
      ctx.print(verdictHeadline(verification, c));
      for (const line of verdictDetails(verification, c)) ctx.print(line);
    }
    for (const r of unreadable)
      ctx.print(
        c.red(
          `✖ record ${r.index} cannot be read (${safeTerminalText(r.reason)}): what it held is not shown`,
        ),
      );
    if (tasks.length > 0) {
      ctx.print('');
      ctx.print(colorExplain(safeTerminalText(formatExplain(tasks)), c));
    }
  }
  if (tasks.length === 0) {
    const [what, id] = Object.entries(query)[0] as [string, string];
    ctx.note(safeTerminalText(`nothing in ${dir} matches ${what.replace(/Id$/, '')} ${JSON.stringify(id)}`));
    return EXIT_CODES.failed;
  }
  if (verification === null) return EXIT_CODES.unverified;
  const code = verdictExitCode(verification);
  return code === EXIT_CODES.ok && !allVerified(tasks) ? EXIT_CODES.unanchored : code;
}

/** The records that parse, with their evidence, as `explain` takes them. */
function eventsOf(records: readonly VerifiedRecord[]) {
  return records.flatMap(({ index, record, evidence }) =>
    record === undefined ? [] : [{ index, event: record, evidence }],
  );
}

/** Whether every record of every node shown is verified. */
function allVerified(tasks: readonly TaskNode[]): boolean {
  return tasks.every(
    (t) =>
      t.evidence === 'verified' &&
      t.calls.every((call) => call.evidence === 'verified') &&
      allVerified(t.delegations),
  );
}

/**
 * Colours the text tree of `formatExplain`: allow green, approval amber, deny / refusal / errors red,
 * headings bold, tree lines dim.
 *
 * @example
 * ```ts
 * console.log(colorExplain(formatExplain(tasks), pc.createColors(true)));
 * ```
 */
export function colorExplain(text: string, c: Colors): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^task \S+/, (m) => c.bold(m))
        .replace(
          /^(\s*)(delegation \S+)/,
          (_m, pad: string, head: string) => `${pad}${c.bold(c.magenta(head))}`,
        )
        .replace('✔ allow', c.green('✔ allow'))
        .replace('✖ deny', c.red('✖ deny'))
        .replace('⏸ approval', c.yellow('⏸ approval'))
        .replace(/✖ refused/, (m) => c.red(m))
        .replace(/(?<=│ {2})(refused \S+)/, (m) => c.red(m))
        .replace(/approval granted/, (m) => c.green(m))
        .replace(/approval refused/, (m) => c.red(m))
        .replace(/outcome ok\b/, (m) => c.green(m))
        .replace(/outcome (error|refused)\b/, (m) => c.red(m))
        .replace(/scope drift:/, (m) => c.yellow(m))
        .replace(/✖ not verified:.*/, (m) => c.red(c.bold(m)))
        .replace(/⚠ not sealed yet:.*/, (m) => c.yellow(m))
        .replace(/ended error\b/, (m) => c.red(m))
        .replace(/([├└│]─?)/g, (m) => c.dim(m)),
    )
    .join('\n');
}

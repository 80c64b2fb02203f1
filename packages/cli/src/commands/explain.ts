import type { ExplainQuery, RecordEvidence, TaskNode } from '@writ/audit';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addEvidenceOptions } from '../evidence-flags.js';
import { EXIT_CODES } from '../exit-codes.js';
import { renderExplainTree } from '../explain-tree.js';
import type { ActionFactory } from '../program.js';
import { printLogVerdict, readShownLog, shownExitCode } from '../shown-log.js';
import { safeTerminalText } from '../terminal-text.js';
import type { VerifyJson } from '../verdict.js';

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
in the log matches or the log does not verify, 2 usage error, 3 the log cannot be read, 6 not a Writ log.`,
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
  const query = given[0] as ExplainQuery;
  const log = await readShownLog(ctx, command);
  const { explain } = await import('@writ/audit');
  const tasks = explain(log.events, query);
  const { verification, unreadable } = log;

  if (ctx.json) ctx.printJson({ query, verification, unreadable, tasks } satisfies ExplainJson);
  else {
    printLogVerdict(ctx, log);
    if (tasks.length > 0) {
      ctx.print('');
      for (const line of renderExplainTree(tasks, ctx.out)) ctx.print(line);
    }
  }
  if (tasks.length === 0) {
    const [what, id] = Object.entries(query)[0] as [string, string];
    ctx.note(
      safeTerminalText(`nothing in ${log.dir} matches ${what.replace(/Id$/, '')} ${JSON.stringify(id)}`),
    );
  }
  return shownExitCode(log, { found: tasks.length > 0, allVerified: allVerified(tasks) });
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

import type { ExplainQuery, JoinFinding, LogLink, RecordEvidence, TaskNode } from '@writ/audit';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addEvidenceOptions } from '../evidence-flags.js';
import { EXIT_CODES } from '../exit-codes.js';
import { renderExplainTree } from '../explain-tree.js';
import type { ActionFactory } from '../program.js';
import {
  type LogVerdictJson,
  logsExitCode,
  logsJson,
  printFindings,
  printLogsVerdicts,
  readShownLogs,
} from '../shown-logs.js';
import { safeTerminalText } from '../terminal-text.js';
import type { VerifyJson } from '../verdict.js';

/**
 * The `--json` output of `writ explain`: the query, the verdict on each log (verified first, in the same
 * pass), the records that cannot be read, and the matching authority-chain trees (`TaskNode` of
 * `@writ/audit`: requester, agent chain, scope, calls with decision / approval / credential / outcome,
 * nested delegations; every node lists its records with their evidence and its weakest). Fields
 * without a value are omitted from the trees. Given several logs, the trees are joined across them
 * (`explainLogs`): every node names its `log` and `service`, a callee's continued task is nested under
 * the caller's call (`callees`), `links` pairs each caller's call with the callee's task-start (log and
 * index of each) and `findings` lists what does not join.
 *
 * @example
 * ```ts
 * const { logs, tasks, links, findings } = JSON.parse(stdout) as ExplainJson;
 * if (logs.some((l) => l.verification?.state !== 'anchored')) console.warn('not everything below is proven');
 * for (const link of links) console.log(`${link.caller.log}#${link.caller.index} → ${link.callee.log}#${link.callee.index}`);
 * for (const f of findings) console.error(f.kind, f.log, f.index, f.message);
 * ```
 */
export interface ExplainJson {
  readonly query: ExplainQuery;
  /** Each log read, with its verdict and its unreadable records, in the order given. */
  readonly logs: readonly LogVerdictJson[];
  /** With one log: its verdict (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification?: VerifyJson | null;
  /** With one log: records that do not parse or match the record schema: what they held is in no tree. */
  readonly unreadable?: readonly { index: number; reason: string; evidence: RecordEvidence }[];
  readonly tasks: readonly TaskNode[];
  /** Caller's call ↔ callee's task-start, across the logs given (none with one log). */
  readonly links: readonly LogLink[];
  /** What does not join across the logs given (none with one log). */
  readonly findings: readonly JoinFinding[];
}

interface ExplainFlags {
  task?: string;
  call?: string;
  correlation?: string;
  includeUnverifiedCorrelation?: boolean;
}

/**
 * Registers `writ explain <log...> --task <id> | --call <id> | --correlation <id> [--key
 * [<log>=]<verifier-key> | --key-file [<log>=]<file>]… [--checkpoint [<log>=]<file>]… [--unverified]
 * [--json]`.
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
    .argument(
      '<log...>',
      'log directory, or a PostgreSQL log (postgres://…#<log id>); several: one investigation, joined across services',
    )
    .option('--task <id>', 'a task id (with its delegations)')
    .option('--call <id>', 'a tool call id')
    .option('--correlation <id>', 'a correlation id (every task that carries it)')
    .option(
      '--include-unverified-correlation',
      'with --correlation, also tasks whose correlation id came from unsigned baggage (the caller chose it)',
    );
  addEvidenceOptions(command, { unverified: true, many: true })
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Give exactly one of --task, --call, --correlation. Each log is verified first (with several logs, pin
each one's key: --key <log>=<verifier-key>); records that do not verify, or that no checkpoint covers
yet, are marked where they are shown. Several logs are joined: a callee's task that continued a
caller's task is shown under the call that issued its credential; what does not join is a finding.
Exit codes: 0 found, verified with a pinned key and anchored, 4 found and verified with a pinned key but
unanchored (or a record shown is not sealed yet), 5 not verified (no --key, or --unverified), 1 nothing
matches, a log does not verify, or a finding, 2 usage error, 3 a log cannot be read, 6 not a Writ log.`,
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
  const logs = await readShownLogs(ctx, command);
  const { explain, explainLogs } = await import('@writ/audit');
  const [only] = logs;
  const { tasks, links, findings } =
    logs.length === 1 && only !== undefined
      ? { tasks: explain(only.events, query), links: [], findings: [] }
      : explainLogs(
          logs.map((log) => ({
            log: log.dir,
            events: log.events,
            ...(log.origin === undefined ? {} : { origin: log.origin }),
          })),
          query,
        );

  if (ctx.json) ctx.printJson({ query, ...logsJson(logs), tasks, links, findings } satisfies ExplainJson);
  else {
    printLogsVerdicts(ctx, logs);
    if (tasks.length > 0) {
      ctx.print('');
      for (const line of renderExplainTree(tasks, ctx.out)) ctx.print(line);
    }
    printFindings(ctx, findings);
  }
  if (tasks.length === 0) {
    const [what, id] = Object.entries(query)[0] as [string, string];
    ctx.note(
      safeTerminalText(
        `nothing in ${logs.map((log) => log.dir).join(', ')} matches ${what.replace(/Id$/, '')} ${JSON.stringify(id)}`,
      ),
    );
  }
  return logsExitCode(logs, {
    found: tasks.length > 0,
    allVerified: allVerified(tasks),
    findings: findings.length,
  });
}

/** Whether every record of every node shown is verified. */
function allVerified(tasks: readonly TaskNode[]): boolean {
  return tasks.every(
    (t) =>
      t.evidence === 'verified' &&
      t.calls.every((call) => call.evidence === 'verified' && allVerified(call.callees ?? [])) &&
      allVerified(t.delegations),
  );
}

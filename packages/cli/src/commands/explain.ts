import { stat } from 'node:fs/promises';
import type { ExplainQuery, TaskNode } from '@writ/audit';
import { WritError } from '@writ/core';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { Colors } from '../io.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';

/**
 * The `--json` output of `writ explain`: the query and the matching authority-chain trees
 * (`TaskNode` of `@writ/audit`: requester, agent chain, scope, calls with decision / approval /
 * credential / outcome, nested delegations). Fields without a value are omitted.
 *
 * @example
 * ```ts
 * const { tasks } = JSON.parse(stdout) as ExplainJson;
 * for (const call of tasks[0]?.calls ?? []) console.log(call.tool, call.decision.effect);
 * ```
 */
export interface ExplainJson {
  readonly query: ExplainQuery;
  readonly tasks: readonly TaskNode[];
}

interface ExplainFlags {
  task?: string;
  call?: string;
  correlation?: string;
}

/**
 * Registers `writ explain <log-dir> --task <id> | --call <id> | --correlation <id> [--json]`.
 *
 * @example
 * ```ts
 * registerExplainCommand(program, action);
 * ```
 */
export function registerExplainCommand(program: Command, action: ActionFactory): void {
  program
    .command('explain')
    .description(
      'show the authority chain of a task, a call or a correlation id: requester → agents → decisions → approvals → credentials → outcomes',
    )
    .argument('<log-dir>', 'log directory')
    .option('--task <id>', 'a task id (with its delegations)')
    .option('--call <id>', 'a tool call id')
    .option('--correlation <id>', 'a correlation id (every task that carries it)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Give exactly one of --task, --call, --correlation.
Exit codes: 0 found, 1 nothing in the log matches, 2 usage error, 3 the log cannot be read.`,
    )
    .action(action(runExplain));
}

async function runExplain(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<ExplainFlags>();
  const given = [
    flags.task === undefined ? undefined : ({ taskId: flags.task } as const),
    flags.call === undefined ? undefined : ({ callId: flags.call } as const),
    flags.correlation === undefined ? undefined : ({ correlationId: flags.correlation } as const),
  ].filter((q) => q !== undefined);
  if (given.length !== 1)
    command.error('error: give exactly one of --task <id>, --call <id>, --correlation <id>', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  const query = given[0] as ExplainQuery;
  const dir = ctx.path(command.args[0] as string);
  const info = await stat(dir).catch((cause: unknown) => {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} cannot be read`, { cause });
  });
  if (!info.isDirectory()) throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} is not a log directory`);
  const { explainLog, formatExplain } = await import('@writ/audit');
  const tasks = await explainLog(dir, query);
  if (ctx.json) ctx.printJson({ query, tasks } satisfies ExplainJson);
  else if (tasks.length > 0) ctx.print(colorExplain(safeTerminalText(formatExplain(tasks)), ctx.out));
  if (tasks.length === 0) {
    const [what, id] = Object.entries(query)[0] as [string, string];
    ctx.note(safeTerminalText(`nothing in ${dir} matches ${what.replace(/Id$/, '')} ${JSON.stringify(id)}`));
    return EXIT_CODES.failed;
  }
  return EXIT_CODES.ok;
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
        .replace(/ended error\b/, (m) => c.red(m))
        .replace(/([├└│]─?)/g, (m) => c.dim(m)),
    )
    .join('\n');
}

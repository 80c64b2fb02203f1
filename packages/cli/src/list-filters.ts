import type { TaskNode } from '@writ/audit';
import type { DecisionEffect, PrincipalRef } from '@writ/core/plugin';
import { type Command, Option } from 'commander';
import { addEvidenceOptions } from './evidence-flags.js';
import { EXIT_CODES } from './exit-codes.js';

/**
 * The filters of the commands that list what a log holds (`writ tasks`, `writ calls`): `--tool`,
 * `--decision`, `--agent`, `--requester`, `--since`, `--until`, `--task`.
 */

/**
 * The filters as parsed: times as epoch milliseconds.
 *
 * @example
 * ```ts
 * const filters: ListFilters = { tool: 'refund_order', decision: 'deny', since: Date.parse('2026-05-01T00:00:00Z') };
 * ```
 */
export interface ListFilters {
  readonly tool?: string;
  readonly decision?: DecisionEffect;
  readonly agent?: string;
  readonly requester?: string;
  /** At or after this time. */
  readonly since?: number;
  /** Before this time. */
  readonly until?: number;
  readonly task?: string;
}

interface RawFilters {
  tool?: string;
  decision?: DecisionEffect;
  agent?: string;
  requester?: string;
  since?: string;
  until?: string;
  task?: string;
}

/**
 * Adds what a listing command takes: the `<log-dir>` argument, the list filters, the evidence flags of
 * `explain` (`--key`, `--key-file`, `--checkpoint`, `--unverified`) and `--json`; and, after the
 * command's own `help`, its exit codes.
 *
 * @example
 * ```ts
 * addListOptions(program.command('calls'), { what: 'call', help: '--tool keeps the calls of that tool.' });
 * ```
 */
export function addListOptions(command: Command, options: { what: string; help: string }): Command {
  command.argument(
    '<log...>',
    'log directory, or a PostgreSQL log (postgres://…#<log id>); several: each verified with its own --key <log>=<verifier-key>',
  );
  addListFilterOptions(command);
  const { what, help } = options;
  return addEvidenceOptions(command, { unverified: true, many: true })
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
${help} Text from the log is escaped.
Exit codes: 0 ${what}s listed, verified with a pinned key and anchored, 4 verified but unanchored (or a
${what} shown is not sealed yet), 5 not verified (no --key, or --unverified), 1 no ${what} matches or a
log does not verify, 2 usage error, 3 a log cannot be read, 6 not a Writ log. With several logs, the
worst of theirs.`,
    );
}

/**
 * Adds the list filters to a command (`decision: false`: all but `--decision`, for what has no decision).
 *
 * @example
 * ```ts
 * addListFilterOptions(program.command('calls'));
 * addListFilterOptions(approvals.command('list'), { decision: false });
 * ```
 */
export function addListFilterOptions(
  command: Command,
  options: { readonly decision?: boolean } = {},
): Command {
  command.option('--tool <name>', 'only calls of this tool');
  if (options.decision !== false)
    command.addOption(
      new Option('--decision <effect>', 'only calls with this policy decision').choices([
        'allow',
        'deny',
        'approval_required',
      ]),
    );
  return command
    .option('--agent <name-or-id>', 'only tasks with this agent in their chain (name or SPIFFE id)')
    .option('--requester <id>', 'only tasks on behalf of this requester')
    .option('--since <time>', 'only from this time on (ISO 8601, e.g. 2026-05-01T09:00:00Z)')
    .option('--until <time>', 'only before this time (ISO 8601)')
    .option('--task <id>', 'only this task and the tasks it delegated to');
}

/** An ISO 8601 date or date-time with its time zone (or a bare date, read as UTC). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Reads the list filters of a command; a time that is not ISO 8601 is a usage error (exit 2).
 *
 * @example
 * ```ts
 * const filters = readListFilters(command);
 * ```
 */
export function readListFilters(command: Command): ListFilters {
  const raw = command.opts<RawFilters>();
  const time = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const ms = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms))
      command.error(
        `error: ${flag} takes an ISO 8601 time with its zone (2026-05-01T09:00:00Z), not ${JSON.stringify(value)}`,
        {
          exitCode: EXIT_CODES.usage,
          code: 'writ.usage',
        },
      );
    return ms;
  };
  const since = time('--since', raw.since);
  const until = time('--until', raw.until);
  return {
    ...(raw.tool === undefined ? {} : { tool: raw.tool }),
    ...(raw.decision === undefined ? {} : { decision: raw.decision }),
    ...(raw.agent === undefined ? {} : { agent: raw.agent }),
    ...(raw.requester === undefined ? {} : { requester: raw.requester }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(raw.task === undefined ? {} : { task: raw.task }),
  };
}

/**
 * Every task of the trees, depth first (a task, then the tasks it delegated to), or, with `--task`, that
 * task's subtree.
 *
 * @example
 * ```ts
 * const tasks = flattenTasks(collectTasks(log.events), filters.task);
 * ```
 */
export function flattenTasks(roots: readonly TaskNode[], taskId?: string): TaskNode[] {
  const out: TaskNode[] = [];
  const walk = (task: TaskNode, inside: boolean) => {
    const take = inside || taskId === undefined || task.taskId === taskId;
    if (take) out.push(task);
    for (const child of task.delegations) walk(child, take);
  };
  for (const root of roots) walk(root, false);
  return out;
}

/**
 * Whether a task's requester and agents match the filters (`--requester`, `--agent`).
 *
 * @example
 * ```ts
 * const mine = tasks.filter((task) => matchesPrincipals(task, filters));
 * ```
 */
export function matchesPrincipals(
  task: { readonly requester: PrincipalRef | null; readonly chain: readonly PrincipalRef[] },
  filters: ListFilters,
): boolean {
  if (filters.requester !== undefined && task.requester?.id !== filters.requester) return false;
  if (
    filters.agent !== undefined &&
    !task.chain.some((agent) => agent.id === filters.agent || agent.name === filters.agent)
  )
    return false;
  return true;
}

/**
 * Whether a record time falls inside `--since` / `--until` (a record without a time does not, when
 * either is given).
 *
 * @example
 * ```ts
 * const recent = calls.filter((call) => inTimeRange(log.timeOf(call.index), filters));
 * ```
 */
export function inTimeRange(time: string | undefined, filters: ListFilters): boolean {
  if (filters.since === undefined && filters.until === undefined) return true;
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  if (Number.isNaN(ms)) return false;
  return (
    (filters.since === undefined || ms >= filters.since) &&
    (filters.until === undefined || ms < filters.until)
  );
}

import type { RecordEvidence, TaskNode } from '@writ/audit';
import type { PrincipalRef } from '@writ/core/plugin';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addListOptions, inTimeRange, type ListFilters, matchesPrincipals } from '../list-filters.js';
import type { ActionFactory } from '../program.js';
import { evidenceCell, type ShownLog } from '../shown-log.js';
import { type LogVerdictJson, logsJson, readListing, showListing } from '../shown-logs.js';
import { type Cell, formatTable, truncate } from '../table.js';
import { safeTerminalText as t } from '../terminal-text.js';
import type { VerifyJson } from '../verdict.js';

/**
 * One task (or delegation) in the `--json` output of `writ tasks`. Text is as the log holds it (JSON
 * escapes it).
 *
 * @example
 * ```ts
 * const open = (JSON.parse(stdout) as TasksJson).tasks.filter((task: TaskRowJson) => task.end === null);
 * ```
 */
export interface TaskRowJson {
  /** The log that holds it: its directory (absolute), or `postgres://host:port/db#<log id>`. */
  readonly log: string;
  readonly taskId: string;
  /** The task that delegated to it, `null` for a task a requester (or an autonomous agent) opened. */
  readonly parentTaskId: string | null;
  readonly correlationId: string;
  /** Time of its task-start record (ISO 8601). */
  readonly time: string | null;
  readonly requester: PrincipalRef | null;
  /** Agents, the one that acted last. */
  readonly chain: readonly PrincipalRef[];
  readonly intent: string | null;
  /** Its own calls (its delegations list theirs). */
  readonly calls: number;
  /** `refused`: the task never started (identity, options or scope refused). */
  readonly status: 'started' | 'refused';
  /** How it ended, `null` while it has no task-end record. */
  readonly end: {
    /** `abandoned`: the task's lease expired and a reaper ended it (fleet mode). */
    readonly status: 'ok' | 'error' | 'abandoned';
    readonly errorCode: string | null;
  } | null;
  /** The weakest evidence among its own records (task start, revocation, task end). */
  readonly evidence: RecordEvidence | null;
}

/**
 * The `--json` output of `writ tasks`: one JSON document, like every command's, holding the verdict on
 * each log (verified first, in the same pass), the records that cannot be read, and the tasks in log
 * order (each task followed by the tasks it delegated to; logs in the order given).
 *
 * @example
 * ```ts
 * const { logs, tasks } = JSON.parse(stdout) as TasksJson;
 * if (verification?.state !== 'anchored') console.warn('not everything below is proven');
 * for (const task of tasks) console.log(task.taskId, task.requester?.id, task.intent);
 * ```
 */
export interface TasksJson {
  /** Each log read, with its verdict and its unreadable records, in the order given. */
  readonly logs: readonly LogVerdictJson[];
  /** With one log: its verdict (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification?: VerifyJson | null;
  /** With one log: records that do not parse or match the record schema: what they held is in no row. */
  readonly unreadable?: readonly { index: number; reason: string; evidence: RecordEvidence }[];
  readonly tasks: readonly TaskRowJson[];
}

/** Longest intent shown on a line (the whole intent is in `--json` and `writ explain`). */
const INTENT_WIDTH = 60;

/**
 * Registers `writ tasks <log...> [--tool <name>] [--decision <effect>] [--agent <name-or-id>]
 * [--requester <id>] [--since <time>] [--until <time>] [--task <id>] [--key [<log>=]<verifier-key> |
 * --key-file [<log>=]<file>]… [--checkpoint [<log>=]<file>]… [--unverified] [--json]`.
 *
 * @example
 * ```ts
 * registerTasksCommand(program, action);
 * ```
 */
export function registerTasksCommand(program: Command, action: ActionFactory): void {
  const command = program
    .command('tasks')
    .description(
      'verify the log, then list its tasks, one line each: start time, task id, requester, agent chain, calls, how it ended, what verification proves, intent',
    );
  addListOptions(command, {
    what: 'task',
    help: `--tool and --decision keep the tasks with such a call of their own; --since and --until apply to the
task's start. Delegations are listed after the task that opened them (↳).`,
  }).action(action(runTasks));
}

async function runTasks(ctx: CommandContext, command: Command): Promise<number> {
  const { filters, logs, tasks } = await readListing(ctx, command);
  const rows = tasks
    .filter(({ log, task }) => matches(task, log, filters))
    .map(({ log, task }) => taskRow(task, log));
  const document = { ...logsJson(logs), tasks: rows } satisfies TasksJson;
  const several = logs.length > 1;
  return showListing(ctx, logs, { what: 'task', rows, document, print: (r) => printTasks(ctx, r, several) });
}

function matches(task: TaskNode, log: ShownLog, filters: ListFilters): boolean {
  if (!matchesPrincipals(task, filters)) return false;
  if (!inTimeRange(startOf(task, log), filters)) return false;
  if (filters.tool !== undefined && !task.calls.some((call) => call.tool === filters.tool)) return false;
  if (filters.decision !== undefined && !task.calls.some((call) => call.decision.effect === filters.decision))
    return false;
  return true;
}

/** Time of a task's first record (its task-start). */
function startOf(task: TaskNode, log: ShownLog): string | undefined {
  const first = task.records[0];
  return first === undefined ? undefined : log.timeOf(first.index);
}

function taskRow(task: TaskNode, log: ShownLog): TaskRowJson {
  return {
    log: log.dir,
    taskId: task.taskId,
    parentTaskId: task.parentTaskId ?? null,
    correlationId: task.correlationId,
    time: startOf(task, log) ?? null,
    requester: task.requester,
    chain: task.chain,
    intent: task.intent ?? null,
    calls: task.calls.length,
    status: task.status,
    end: task.end === undefined ? null : { status: task.end.status, errorCode: task.end.errorCode ?? null },
    evidence: task.evidence ?? null,
  };
}

function printTasks(ctx: CommandContext, rows: readonly TaskRowJson[], several: boolean): void {
  const c = ctx.out;
  const ended = (row: TaskRowJson): Cell => {
    if (row.status === 'refused') return { text: 'refused', paint: c.red };
    if (row.end === null) return { text: 'open', paint: c.yellow };
    if (row.end.status === 'ok') return { text: 'ok', paint: c.green };
    return {
      text: row.end.status,
      paint: c.red,
      rest: row.end.errorCode === null ? '' : ` ${t(row.end.errorCode)}`,
    };
  };
  const table = rows.map((row): Cell[] => [
    { text: t(row.time ?? '-') },
    { text: `${row.parentTaskId === null ? '' : '↳ '}${t(row.taskId)}` },
    { text: row.requester === null ? 'autonomous' : t(row.requester.id) },
    { text: row.chain.map((agent) => t(agent.name ?? agent.id)).join(' → ') },
    { text: String(row.calls) },
    ended(row),
    evidenceCell(row.evidence ?? undefined, c),
    ...(several ? [{ text: t(row.log) }] : []),
    { text: row.intent === null ? '' : `"${truncate(t(row.intent), INTENT_WIDTH)}"` },
  ]);
  const header = ['TIME', 'TASK', 'REQUESTER', 'AGENTS', 'CALLS', 'END', 'EVIDENCE', 'INTENT'];
  if (several) header.splice(7, 0, 'LOG');
  for (const line of formatTable(header, table, c.dim)) ctx.print(line);
}

import type { CallNode, RecordEvidence, TaskNode } from '@writ/audit';
import type { DecisionEffect } from '@writ/core/plugin';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addListOptions, inTimeRange, type ListFilters, matchesPrincipals } from '../list-filters.js';
import type { ActionFactory } from '../program.js';
import { evidenceCell, type ShownLog } from '../shown-log.js';
import { type LogVerdictJson, logsJson, readListing, showListing } from '../shown-logs.js';
import { type Cell, formatTable } from '../table.js';
import { safeTerminalText as t } from '../terminal-text.js';
import type { VerifyJson } from '../verdict.js';

/**
 * One tool call in the `--json` output of `writ calls`. Text is as the log holds it (JSON escapes it).
 *
 * @example
 * ```ts
 * const denied = (JSON.parse(stdout) as CallsJson).calls.filter((call: CallRowJson) => call.effect === 'deny');
 * ```
 */
export interface CallRowJson {
  /** The log that holds it: its directory (absolute), or `postgres://host:port/db#<log id>`. */
  readonly log: string;
  /** Time of its decision record (ISO 8601). */
  readonly time: string | null;
  readonly taskId: string;
  readonly tool: string;
  /** The framework's tool-call id (unique within its task, not across tasks). */
  readonly callId: string;
  /** Log index of its decision record (`writ explain --call <callId>` shows the whole chain). */
  readonly index: number;
  readonly effect: DecisionEffect;
  readonly policyIds: readonly string[];
  /** The approval, when one was asked for: granted or refused, by whom (`null`: nobody answered). */
  readonly approval: { readonly approved: boolean; readonly approver: string | null } | null;
  /** How the call ended, `null` while it has no outcome record. */
  readonly outcome: { readonly status: string; readonly errorCode: string | null } | null;
  /** Set when the pipeline refused the call (input invalid, approval refused, …). */
  readonly refusal: { readonly code: string; readonly message: string } | null;
  /** The weakest evidence among its records (decision, approval, outcome). */
  readonly evidence: RecordEvidence | null;
}

/**
 * The `--json` output of `writ calls`: one JSON document, like every command's, holding the verdict on
 * each log (verified first, in the same pass), the records that cannot be read, and the calls in log
 * order per task (logs in the order given).
 *
 * @example
 * ```ts
 * const { logs, calls } = JSON.parse(stdout) as CallsJson;
 * for (const call of calls) console.log(call.time, call.tool, call.effect, call.outcome?.status);
 * ```
 */
export interface CallsJson {
  /** Each log read, with its verdict and its unreadable records, in the order given. */
  readonly logs: readonly LogVerdictJson[];
  /** With one log: its verdict (as `writ verify --json` prints it); `null` with `--unverified`. */
  readonly verification?: VerifyJson | null;
  /** With one log: records that do not parse or match the record schema: what they held is in no row. */
  readonly unreadable?: readonly { index: number; reason: string; evidence: RecordEvidence }[];
  readonly calls: readonly CallRowJson[];
}

/**
 * Registers `writ calls <log...> [--tool <name>] [--decision <effect>] [--agent <name-or-id>]
 * [--requester <id>] [--since <time>] [--until <time>] [--task <id>] [--key [<log>=]<verifier-key> |
 * --key-file [<log>=]<file>]… [--checkpoint [<log>=]<file>]… [--unverified] [--json]`.
 *
 * @example
 * ```ts
 * registerCallsCommand(program, action);
 * ```
 */
export function registerCallsCommand(program: Command, action: ActionFactory): void {
  const command = program
    .command('calls')
    .description(
      'verify the log, then list its tool calls, one line each: time, task id, tool, call id, policy decision, approval, outcome, what verification proves',
    );
  addListOptions(command, {
    what: 'call',
    help: `--agent and --requester apply to the task a call ran in; --since and --until to its decision record;
--task keeps the calls of that task and of the tasks it delegated to.`,
  }).action(action(runCalls));
}

async function runCalls(ctx: CommandContext, command: Command): Promise<number> {
  const { filters, logs, tasks } = await readListing(ctx, command);
  const rows = tasks
    .filter(({ task }) => matchesPrincipals(task, filters))
    .flatMap(({ log, task }) => task.calls.map((call) => callRow(log, task, call)))
    .filter((row) => matches(row, filters));
  const document = { ...logsJson(logs), calls: rows } satisfies CallsJson;
  const several = logs.length > 1;
  return showListing(ctx, logs, { what: 'call', rows, document, print: (r) => printCalls(ctx, r, several) });
}

function matches(row: CallRowJson, filters: ListFilters): boolean {
  if (filters.tool !== undefined && row.tool !== filters.tool) return false;
  if (filters.decision !== undefined && row.effect !== filters.decision) return false;
  return inTimeRange(row.time ?? undefined, filters);
}

function callRow(log: ShownLog, task: TaskNode, call: CallNode): CallRowJson {
  return {
    log: log.dir,
    time: log.timeOf(call.index) ?? null,
    taskId: task.taskId,
    tool: call.tool,
    callId: call.callId,
    index: call.index,
    effect: call.decision.effect,
    policyIds: call.decision.policyIds,
    approval:
      call.approval === undefined
        ? null
        : { approved: call.approval.approved, approver: call.approval.approver?.id ?? null },
    outcome:
      call.outcome === undefined
        ? null
        : { status: call.outcome.status, errorCode: call.outcome.errorCode ?? null },
    refusal: call.refusal === undefined ? null : { code: call.refusal.code, message: call.refusal.message },
    evidence: call.evidence ?? null,
  };
}

function printCalls(ctx: CommandContext, rows: readonly CallRowJson[], several: boolean): void {
  const c = ctx.out;
  const decision = (effect: DecisionEffect): Cell =>
    effect === 'allow'
      ? { text: 'allow', paint: c.green }
      : effect === 'deny'
        ? { text: 'deny', paint: c.red }
        : { text: 'approval_required', paint: c.yellow };
  const approval = (row: CallRowJson): Cell => {
    if (row.approval === null) return { text: '-' };
    const by = row.approval.approver === null ? 'nobody' : t(row.approval.approver);
    return row.approval.approved
      ? { text: 'granted', paint: c.green, rest: ` by ${by}` }
      : { text: 'refused', paint: c.red, rest: ` by ${by}` };
  };
  const outcome = (row: CallRowJson): Cell => {
    if (row.refusal !== null) return { text: `refused ${t(row.refusal.code)}`, paint: c.red };
    if (row.outcome === null) return { text: '-' };
    const text = `${t(row.outcome.status)}${row.outcome.errorCode === null ? '' : ` ${t(row.outcome.errorCode)}`}`;
    if (row.outcome.status === 'ok') return { text, paint: c.green };
    return row.outcome.status === 'error' || row.outcome.status === 'refused'
      ? { text, paint: c.red }
      : { text };
  };
  const table = rows.map((row): Cell[] => [
    { text: t(row.time ?? '-') },
    { text: t(row.taskId) },
    { text: t(row.tool) },
    { text: t(row.callId) },
    decision(row.effect),
    approval(row),
    outcome(row),
    evidenceCell(row.evidence ?? undefined, c),
    ...(several ? [{ text: t(row.log) }] : []),
  ]);
  const header = ['TIME', 'TASK', 'TOOL', 'CALL', 'DECISION', 'APPROVAL', 'OUTCOME', 'EVIDENCE'];
  if (several) header.push('LOG');
  for (const line of formatTable(header, table, c.dim)) ctx.print(line);
}

import type { PendingApproval } from '@writ/core/plugin';
import { type Command, Option } from 'commander';
import { addStoreOptions, openApprovalStore } from '../approvals-store.js';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { addListFilterOptions, inTimeRange, type ListFilters, readListFilters } from '../list-filters.js';
import type { ActionFactory } from '../program.js';
import { type Cell, formatTable } from '../table.js';
import { safeTerminalText as t } from '../terminal-text.js';
import { type ApprovalRowJson, type ApprovalStatus, approvalRow, shortHash } from './approval-row.js';
import { addAnswerOptions, runAnswer } from './approvals-answer.js';

/**
 * The `--json` output of `writ approvals list`: the approvals that match, oldest first.
 *
 * @example
 * ```ts
 * const { approvals } = JSON.parse(stdout) as ApprovalsListJson;
 * for (const a of approvals) console.log(a.bindingHash, a.tool, a.requester?.id, a.status);
 * ```
 */
export interface ApprovalsListJson {
  /** The database, without its password. */
  readonly store: string;
  readonly approvals: readonly ApprovalRowJson[];
}

/**
 * Registers `writ approvals list|approve|reject`: the approvals Writ runtimes keep in PostgreSQL (fleet
 * mode), listed and answered from a shell.
 *
 * @example
 * ```ts
 * registerApprovalsCommand(program, action);
 * ```
 */
export function registerApprovalsCommand(program: Command, action: ActionFactory): void {
  const approvals = program
    .command('approvals')
    .description(
      'list and answer the approvals Writ runtimes wait for in the shared PostgreSQL store (needs @writ/postgres, pg)',
    )
    .addHelpText(
      'after',
      `
The store is --db <url> or DATABASE_URL; its rows are checked with WRIT_STORE_KEY (the runtimes' key).
Who answers: --approver <id> (recorded as claimed), or an OIDC ID token (--id-token or
WRIT_APPROVER_ID_TOKEN, with --issuer/WRIT_APPROVER_ISSUER and --audience/WRIT_APPROVER_AUDIENCE),
signed in for the approval (its nonce is the binding hash), verified and recorded as verified with its
issuer, subject and token id.`,
    );
  const list = approvals
    .command('list')
    .description(
      'list approvals: binding hash, tool, requester, agent, task, asked at, expires, status (waiting ones by default)',
    );
  addStoreOptions(list);
  addListFilterOptions(list, { decision: false })
    .addOption(
      new Option('--status <status>', 'only approvals in this state')
        .choices(['waiting', 'approved', 'rejected', 'expired', 'any'])
        .default('waiting'),
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
--since and --until apply to when approval was asked; --agent matches the agent's id or its name (the
last segment of its SPIFFE ID). Answered and expired approvals stay listed (--status) until their call
runs again and takes them. Text from the store is escaped.
Exit codes: 0 listed (also when none match), 2 usage error, 3 the store cannot be read.`,
    )
    .action(action(runList));
  for (const approved of [true, false]) {
    const answer = approvals
      .command(approved ? 'approve' : 'reject')
      .argument('<binding>', 'the binding hash, or a unique prefix of it (as `approvals list` shows it)')
      .description(
        approved
          ? 'approve a waiting approval: the call runs when it is run again, on any replica'
          : 'reject a waiting approval: the call is refused when it is run again',
      );
    addAnswerOptions(addStoreOptions(answer), approved).action(
      action((ctx, command) => runAnswer(ctx, command, approved)),
    );
  }
}

async function runList(ctx: CommandContext, command: Command): Promise<number> {
  const filters = readListFilters(command);
  const { status } = command.opts<{ status: ApprovalStatus | 'any' }>();
  const { store, label, close } = await openApprovalStore(ctx, command);
  let found: readonly PendingApproval[];
  try {
    found = await store.list({
      all: status !== 'waiting',
      ...(filters.task === undefined ? {} : { taskId: filters.task }),
      ...(filters.requester === undefined ? {} : { requester: filters.requester }),
    });
  } finally {
    await close();
  }
  const now = Date.now();
  const rows = found
    .map((approval) => approvalRow(approval, now))
    .filter((row) => (status === 'any' || row.status === status) && matches(row, filters));
  if (ctx.json) ctx.printJson({ store: label, approvals: rows } satisfies ApprovalsListJson);
  else if (rows.length === 0) ctx.note(`no ${status === 'any' ? '' : `${status} `}approvals in ${label}`);
  else printApprovals(ctx, rows);
  return EXIT_CODES.ok;
}

function matches(row: ApprovalRowJson, filters: ListFilters): boolean {
  if (filters.tool !== undefined && row.tool !== filters.tool) return false;
  if (
    filters.agent !== undefined &&
    row.agent !== filters.agent &&
    row.agent?.split('/').at(-1) !== filters.agent
  )
    return false;
  return inTimeRange(row.askedAt ?? undefined, filters);
}

/**
 * The status cell of an approval: coloured by what the CLI concluded, the approver (store text) after it.
 */
export function statusCell(row: ApprovalRowJson, c: CommandContext['out']): Cell {
  const by = row.answer?.approver
    ? ` by ${t(row.answer.approver.id)} (${row.answer.approver.assurance})`
    : '';
  switch (row.status) {
    case 'waiting':
      return { text: 'waiting', paint: c.yellow };
    case 'approved':
      return { text: 'approved', paint: c.green, rest: by };
    case 'rejected':
      return { text: 'rejected', paint: c.red, rest: by };
    default:
      return { text: 'expired', paint: c.dim };
  }
}

function printApprovals(ctx: CommandContext, rows: readonly ApprovalRowJson[]): void {
  const c = ctx.out;
  const table = rows.map((row): Cell[] => [
    { text: t(shortHash(row.bindingHash)) },
    { text: t(row.tool) },
    { text: row.requester === null ? '(autonomous)' : t(row.requester.id) },
    { text: t(row.agent ?? '-') },
    { text: t(row.taskId) },
    { text: row.askedAt ?? '-' },
    { text: t(row.expiresAt) },
    statusCell(row, c),
  ]);
  const header = ['BINDING', 'TOOL', 'REQUESTER', 'AGENT', 'TASK', 'ASKED', 'EXPIRES', 'STATUS'];
  for (const line of formatTable(header, table, c.dim)) ctx.print(line);
}

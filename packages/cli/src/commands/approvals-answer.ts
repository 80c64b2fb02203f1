import { WritError } from '@writ/core';
import { approverText } from '@writ/core/internal';
import type { ApprovalAnswer, ApprovalStore, PendingApproval } from '@writ/core/plugin';
import type { Command } from 'commander';
import { openApprovalStore } from '../approvals-store.js';
import { type CommandContext, reportError } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { safeTerminalText as t } from '../terminal-text.js';
import { type ApprovalRowJson, approvalRow, shortHash } from './approval-row.js';

interface AnswerFlags {
  approver?: string;
  idToken?: string;
  issuer?: string;
  audience?: string;
  reason?: string;
  allowUnboundToken?: boolean;
}

/**
 * The `--json` output of `writ approvals approve` and `writ approvals reject`: the approval as answered.
 *
 * @example
 * ```ts
 * const { approval } = JSON.parse(stdout) as ApprovalAnsweredJson;
 * console.log(approval.answer?.approver?.assurance); // 'verified' with --id-token, 'claimed' with --approver
 * ```
 */
export interface ApprovalAnsweredJson {
  readonly status: 'answered';
  readonly approval: ApprovalRowJson;
}

/**
 * Adds who answers (`--approver`, `--id-token`, `--issuer`, `--audience`), `--reason` and `--json` to
 * `approve` or `reject`.
 *
 * @example
 * ```ts
 * addAnswerOptions(approvals.command('approve'), true);
 * ```
 */
export function addAnswerOptions(command: Command, approved: boolean): Command {
  return command
    .option('--approver <id>', 'who answers, recorded as claimed (nobody verified it)')
    .option(
      '--id-token <jwt>',
      'the approver OIDC ID token, verified and recorded as verified (default: $WRIT_APPROVER_ID_TOKEN, which keeps it out of ps)',
    )
    .option('--issuer <url>', 'the OpenID Provider that must have issued it (default: $WRIT_APPROVER_ISSUER)')
    .option('--audience <id>', 'the audience it must be for (default: $WRIT_APPROVER_AUDIENCE)')
    .option(
      '--allow-unbound-token',
      'accept an ID token whose nonce is not the binding hash (proves who answered, not for which call)',
    )
    .option('--reason <text>', approved ? 'why it is approved' : 'why it is rejected')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Exit codes: 0 answered, 7 refused and nothing recorded (the approval expired or was answered first, or
the ID token did not verify: another audience or issuer, expired, a key the issuer does not publish,
its nonce not the binding hash),
1 no approval (or several) matches the binding hash prefix, 2 usage error, 3 the store or the issuer
cannot be reached.`,
    );
}

/** At least this many hex digits of a binding hash name it (fewer is a usage error). */
const MIN_PREFIX = 6;

/**
 * `writ approvals approve|reject <binding>`: who answers, then the one approval the prefix names, then
 * the answer (the first answer wins: one given elsewhere first is reported, not overwritten).
 */
export async function runAnswer(ctx: CommandContext, command: Command, approved: boolean): Promise<number> {
  const flags = command.opts<AnswerFlags>();
  const prefix = (command.args[0] as string).toLowerCase().replace(/^sha256:/, '');
  if (!new RegExp(`^[0-9a-f]{${MIN_PREFIX},64}$`).test(prefix))
    command.error(
      `error: <binding> must be a binding hash or at least ${MIN_PREFIX} of its hex digits, not ${JSON.stringify(command.args[0])}`,
      { exitCode: EXIT_CODES.usage, code: 'writ.usage' },
    );
  try {
    const claimed = claimedApprover(ctx, command, flags);
    const { store, close } = await openApprovalStore(ctx, command);
    let answered: PendingApproval;
    try {
      const target = await resolve(store, prefix);
      // the token is verified for the approval it answers (its nonce is the binding hash)
      const who = claimed ?? (await verifiedApproverOf(ctx, command, flags, target.bindingHash));
      answered = await answer(store, target, {
        approved,
        ...who,
        ...(flags.reason === undefined ? {} : { reason: flags.reason }),
        answeredAt: Date.now(),
      });
    } finally {
      await close();
    }
    const row = approvalRow(answered, Date.now());
    if (ctx.json) ctx.printJson({ status: 'answered', approval: row } satisfies ApprovalAnsweredJson);
    else printAnswered(ctx, row);
    return EXIT_CODES.ok;
  } catch (error) {
    const code = WritError.isInstance(error) ? refusalExitCode(error) : undefined;
    if (code === undefined) throw error;
    reportError(ctx, error);
    return code;
  }
}

/** Token and approval refusals: 7 (nothing recorded); no match: 1; anything else is the program's (3). */
function refusalExitCode(error: WritError): number | undefined {
  if (error.code === 'WRIT_APPROVAL_NOT_FOUND') return EXIT_CODES.failed;
  if (
    error.code === 'WRIT_APPROVAL_CLOSED' ||
    error.code.startsWith('WRIT_TOKEN_') ||
    error.code === 'WRIT_AUDIENCE_MISMATCH' ||
    error.code === 'WRIT_ISSUER_MISMATCH' ||
    error.code === 'WRIT_IDENTITY_INVALID'
  )
    return EXIT_CODES.refused;
  return undefined;
}

const usageError =
  (command: Command) =>
  (message: string): never =>
    command.error(`error: ${message}`, { exitCode: EXIT_CODES.usage, code: 'writ.usage' });

/**
 * Who answers, checked before the store is opened: `--approver` (assurance `claimed`), or `undefined`
 * for an ID token (verified once the approval is known). Exactly one of them; an ID token needs the
 * issuer and audience.
 */
function claimedApprover(
  ctx: CommandContext,
  command: Command,
  flags: AnswerFlags,
): Pick<ApprovalAnswer, 'approver'> | undefined {
  const usage = usageError(command);
  const idToken = flags.idToken ?? nonEmpty(ctx.env.WRIT_APPROVER_ID_TOKEN);
  if (flags.approver !== undefined && idToken !== undefined)
    usage(
      `give one approver: --approver (claimed) or an ID token (verified)${flags.idToken === undefined ? '; WRIT_APPROVER_ID_TOKEN is set' : ''}`,
    );
  if (flags.approver !== undefined) {
    if (flags.approver.trim() === '') usage('--approver needs an id');
    return { approver: { kind: 'human', id: flags.approver, assurance: 'claimed' } };
  }
  if (idToken === undefined)
    usage(
      'say who answers: --approver <id> (recorded as claimed) or --id-token <jwt> / WRIT_APPROVER_ID_TOKEN (verified)',
    );
  if (issuerAndAudience(ctx, flags) === undefined)
    usage(
      'verifying an ID token needs --issuer (or WRIT_APPROVER_ISSUER) and --audience (or WRIT_APPROVER_AUDIENCE)',
    );
  return undefined;
}

function issuerAndAudience(ctx: CommandContext, flags: AnswerFlags) {
  const issuer = flags.issuer ?? nonEmpty(ctx.env.WRIT_APPROVER_ISSUER);
  const audience = flags.audience ?? nonEmpty(ctx.env.WRIT_APPROVER_AUDIENCE);
  return issuer === undefined || audience === undefined ? undefined : { issuer, audience };
}

/**
 * The approver an ID token proves, verified with `@writ/identity`'s OIDC verifier (`verified`, with the
 * issuer, subject and the token's id) and bound to the approval answered: its `nonce` must be the binding
 * hash, unless `--allow-unbound-token`.
 */
async function verifiedApproverOf(
  ctx: CommandContext,
  command: Command,
  flags: AnswerFlags,
  bindingHash: string,
): Promise<Pick<ApprovalAnswer, 'approver' | 'approverToken'>> {
  const idToken = (flags.idToken ?? nonEmpty(ctx.env.WRIT_APPROVER_ID_TOKEN)) as string;
  const { issuer, audience } = issuerAndAudience(ctx, flags) ?? usageError(command)('no issuer');
  const { createOidcRequesterVerifier, verifiedApprover } = await import('@writ/identity');
  const verifier = createOidcRequesterVerifier({ issuer, audience, name: 'approver' });
  return verifiedApprover(idToken, verifier, {
    signal: AbortSignal.timeout(30_000),
    ...(flags.allowUnboundToken === true ? {} : { bindingHash }),
  });
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** The one approval the hex prefix names, open or closed (answered or expired, not yet taken by its call). */
async function resolve(store: ApprovalStore, prefix: string): Promise<PendingApproval> {
  const open = await store.list({ all: true });
  let matched = open.filter((a) => a.bindingHash.replace(/^sha256:/, '').startsWith(prefix));
  if (matched.length === 0 && prefix.length === 64) {
    // a full hash beyond the listed ones
    const one = await store.get(`sha256:${prefix}`);
    matched = one === undefined ? [] : [one];
  }
  if (matched.length === 1) return matched[0] as PendingApproval;
  if (matched.length === 0)
    throw new WritError(
      'WRIT_APPROVAL_NOT_FOUND',
      `no approval in the store has a binding hash starting ${prefix} (never asked, or its call already took its answer)`,
      { details: { reason: 'unknown', prefix } },
    );
  throw new WritError(
    'WRIT_APPROVAL_NOT_FOUND',
    `${matched.length} approvals have a binding hash starting ${prefix}: give more of it (${matched
      .map((a) => shortHash(a.bindingHash))
      .join(', ')})`,
    { details: { reason: 'ambiguous', prefix, matches: matched.map((a) => a.bindingHash) } },
  );
}

/** Answers it, or says why not (expired, answered first, taken by its call meanwhile). */
async function answer(
  store: ApprovalStore,
  target: PendingApproval,
  given: ApprovalAnswer,
): Promise<PendingApproval> {
  const closed = (reason: string, why: string, standing?: PendingApproval) =>
    new WritError(
      'WRIT_APPROVAL_CLOSED',
      `approval ${target.bindingHash} (${target.tool}): ${why}; nothing recorded`,
      {
        details: {
          reason,
          bindingHash: target.bindingHash,
          expiresAt: target.expiresAt,
          ...(standing?.answer === undefined
            ? {}
            : { approved: standing.answer.approved, approver: standing.answer.approver?.id ?? null }),
        },
      },
    );
  const answeredFirst = (standing: PendingApproval) => {
    const a = standing.answer as ApprovalAnswer;
    return closed(
      'already_answered',
      `already ${a.approved ? 'approved' : 'rejected'} by ${approverText(a)} at ${new Date(a.answeredAt).toISOString()}`,
      standing,
    );
  };
  if (target.answer !== undefined) throw answeredFirst(target);
  if (target.expiresAt <= given.answeredAt)
    throw closed('expired', `it expired at ${new Date(target.expiresAt).toISOString()}`);
  const result = await store.answer(target.bindingHash, given);
  if (result.status === 'answered') return result.approval;
  if (result.status === 'already_answered') throw answeredFirst(result.approval);
  if (target.expiresAt <= Date.now())
    throw closed('expired', `it expired at ${new Date(target.expiresAt).toISOString()}`);
  throw closed('taken', 'its call took it meanwhile');
}

function printAnswered(ctx: CommandContext, row: ApprovalRowJson): void {
  const c = ctx.out;
  const approved = row.answer?.approved === true;
  const verdict = approved ? c.green(c.bold('✔ approved')) : c.red(c.bold('✖ rejected'));
  ctx.print(`${verdict} ${t(row.bindingHash)}`);
  ctx.print(`  tool      ${t(row.tool)} (call ${t(row.callId)})`);
  ctx.print(`  task      ${t(row.taskId)}`);
  ctx.print(`  requester ${row.requester === null ? '(autonomous)' : t(row.requester.id)}`);
  ctx.print(`  agent     ${t(row.agent ?? '-')}`);
  ctx.print(`  by        ${t(approverText(row.answer ?? { approver: null }))}`);
  if (row.answer?.reason) ctx.print(`  reason    ${t(row.answer.reason)}`);
  ctx.print(
    `  ${c.dim(approved ? 'the call runs when it is run again (any replica)' : 'the call is refused when it is run again')}`,
  );
}

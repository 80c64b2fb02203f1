import { currentActor } from '../attribution.js';
import { canonicalJson, sha256Hex } from '../canonical-json.js';
import type { Decision } from '../decision.js';
import { WritError } from '../errors.js';
import type { ApprovalResponse } from '../interfaces.js';
import { toPrincipalRef } from '../principal.js';
import type { ApprovalAnswer, PendingApproval } from '../stores/approval-store.js';
import { ATTR } from '../telemetry.js';
import { callService } from './deadline.js';
import { appendEvent, approvalEvent, approvalRequestedEvent } from './records.js';
import { entryOf, requesterOf } from './replay.js';
import type { ApprovalMode, CallRun, FrameworkApproval } from './state.js';

/**
 * What an approval is bound to: one call (its tool call id, tool and canonical arguments) of one task of
 * one requester, by one acting agent, under the decision that asked for it.
 *
 * @example
 * ```ts
 * const binding: ApprovalBinding = {
 *   tool: 'refund_order',
 *   argsDigest: call.argsDigest,
 *   agent: 'spiffe://writ.local/agent/support',
 *   decisionId: decision.decisionId,
 *   taskId: attribution.taskId,
 *   requester: { id: 'alice@example.com', issuer: 'https://login.example.com' },
 *   callId: call.id,
 * };
 * ```
 */
export interface ApprovalBinding {
  readonly tool: string;
  readonly argsDigest: string;
  readonly agent: string;
  readonly decisionId: string;
  readonly taskId: string;
  /** The task's requester (verified id and its issuer), `null` when the task is autonomous. */
  readonly requester: { readonly id: string; readonly issuer: string | null } | null;
  /** The tool call id (the framework's, or the one Writ generated). */
  readonly callId: string;
}

/**
 * `sha256:<hex>` binding an approval to exactly one call of one task: the canonical JSON of its
 * {@link ApprovalBinding}. An answer must echo it; an answer bound to another call, task or requester is
 * refused.
 *
 * @example
 * ```ts
 * approvalBindingHash({ tool: 'refund_order', argsDigest: call.argsDigest, agent: actor.id, decisionId: decision.decisionId, taskId, requester: null, callId: call.id });
 * ```
 */
export function approvalBindingHash(input: ApprovalBinding): string {
  return sha256Hex(
    canonicalJson({
      agent: input.agent,
      argsDigest: input.argsDigest,
      callId: input.callId,
      decisionId: input.decisionId,
      requester: input.requester,
      taskId: input.taskId,
      tool: input.tool,
    }),
  );
}

/**
 * The obligation by which a policy asks that only a verified approver (an identity provider vouched for
 * them: an approver token, not an answer typed into a client) may approve the call. Cedar policies ask it
 * with `@approval("verified")`.
 *
 * @example
 * ```ts
 * const needsVerified = decision.obligations?.some((o) => o.id === VERIFIED_APPROVER) === true;
 * // Cedar: @approval("verified") on the policy that asks for approval
 * ```
 */
export const VERIFIED_APPROVER = 'writ:verified-approver';

const requiresVerifiedApprover = (decision: Decision) =>
  decision.obligations?.some((o) => o.id === VERIFIED_APPROVER) === true;

/** The binding hash of the approval a call's decision asks for. */
export function bindingHashOf(run: CallRun, decision: Decision): string {
  return approvalBindingHash({
    tool: run.call.name,
    argsDigest: run.call.argsDigest,
    agent: currentActor(run.attribution).id,
    decisionId: decision.decisionId,
    taskId: run.attribution.taskId,
    requester: requesterOf(run.attribution),
    callId: run.call.id,
  });
}

/**
 * Stage 3: approval, when the decision asks for it. The answer is, in this order: one given through the
 * framework (accepted only for an approval `check` asked for this very call and still pending; it is
 * itself an answer, and the first answer given wins), one already in the approval store (answered from
 * any process: a console, a webhook, the CLI), or — in suspend mode — none yet: the approval is opened
 * (`approval-requested` record) and the call refused with `WRIT_APPROVAL_PENDING`, to run again once
 * answered. Otherwise the configured approval handler is asked, within `timeouts.approvalMs` (one
 * process, short waits). The answer must echo the binding hash and name its approver; it is recorded
 * (approval record) before anything else happens. Fills in `run.approval`; a declined, late, malformed
 * or unbound answer refuses the call (`WRIT_APPROVAL_REJECTED`).
 */
export async function approve(run: CallRun): Promise<void> {
  const decision = run.decision as Decision;
  if (decision.effect !== 'approval_required') return;
  const { config, call } = run;
  const bindingHash = bindingHashOf(run, decision);
  const refuse = (why: string, reason = why) =>
    new WritError('WRIT_APPROVAL_REJECTED', `approval for ${call.name} refused: ${why}`, {
      details: { tool: call.name, decisionId: decision.decisionId, why: reason },
    });
  const store = config.pendingApprovals;
  const framework = run.options.approval;
  let expiresAt: number;
  let response: ApprovalResponse;
  const stored = framework === undefined && run.fromLedger ? await store.get(bindingHash) : undefined;
  if (framework !== undefined || stored?.answer !== undefined) {
    if (framework !== undefined && run.fromLedger) {
      await store.answer(bindingHash, frameworkAnswer(run, framework));
    }
    const pending = run.fromLedger ? await store.take(bindingHash) : undefined;
    if (pending !== undefined && pending.answer === undefined && config.clock() > pending.expiresAt) {
      throw refuse('the answer arrived after the approval expired');
    }
    if (pending?.answer === undefined) {
      throw refuse(
        `Writ has no pending approval for tool call ${call.id} in this task for this requester (expired, asked in another task or for another requester, asked by a process that does not share this one's call ledger, or never asked through Writ)`,
        'no_pending_approval',
      );
    }
    expiresAt = pending.expiresAt;
    response = responseOf(pending.answer, bindingHash);
  } else if (approvalModeOf(run) === 'suspend') {
    return suspend(run, decision, bindingHash, stored);
  } else {
    expiresAt = config.clock() + config.timeouts.approvalMs;
    response = await askHandler(run, decision, bindingHash, expiresAt);
  }
  if (typeof response !== 'object' || response === null || typeof response.approved !== 'boolean') {
    throw refuse('the approval handler returned a malformed answer');
  }
  if (response.bindingHash !== bindingHash) throw refuse('the answer is bound to another call');
  if (config.clock() > expiresAt) throw refuse('the answer arrived after the approval expired');
  if (response.approved && (response.approver === undefined || typeof response.approver.id !== 'string')) {
    throw refuse('an approval must name its approver');
  }
  if (
    response.approved &&
    requiresVerifiedApprover(decision) &&
    response.approver?.assurance !== 'verified'
  ) {
    throw refuse(
      `the policy requires a verified approver; ${response.approver?.id ?? 'the approver'} is ${response.approver?.assurance ?? 'unknown'}`,
      'approver_not_verified',
    );
  }
  run.approval = response;
  run.approvalRecord = {
    approved: response.approved,
    approver: response.approver === undefined ? null : toPrincipalRef(response.approver),
    bindingHash,
    expiresAt,
    reason: response.reason,
    ...(response.approverToken === undefined || response.approver?.assurance !== 'verified'
      ? {}
      : { approverToken: response.approverToken }),
  };
  await appendEvent(config, approvalEvent(run, run.approvalRecord, decision.decisionId));
  if (response.approver !== undefined)
    run.span.setAttribute(ATTR.WRIT_APPROVAL_APPROVER, response.approver.id);
  if (!response.approved) {
    throw new WritError(
      'WRIT_APPROVAL_REJECTED',
      `${call.name} was not approved${response.reason ? `: ${response.reason}` : ''}`,
      {
        details: {
          tool: call.name,
          decisionId: decision.decisionId,
          approver: response.approver?.id ?? null,
        },
      },
    );
  }
}

/** How a call needing approval waits: the call's own option, else the instance's (`approvalMode`). */
export function approvalModeOf(run: CallRun): ApprovalMode {
  return run.options.approvalMode ?? run.config.approvalMode;
}

/** An answer given through the framework, as the store keeps it. */
function frameworkAnswer(run: CallRun, framework: FrameworkApproval): ApprovalAnswer {
  const approver = framework.approver ?? (framework.approved ? run.attribution.requester : undefined);
  return {
    approved: framework.approved,
    approver: approver === undefined ? null : toPrincipalRef(approver),
    ...(framework.reason === undefined ? {} : { reason: framework.reason }),
    answeredAt: run.config.clock(),
  };
}

function responseOf(answer: ApprovalAnswer, bindingHash: string): ApprovalResponse {
  return {
    approved: answer.approved,
    bindingHash,
    ...(answer.approver === null ? {} : { approver: answer.approver }),
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    ...(answer.approverToken === undefined ? {} : { approverToken: answer.approverToken }),
  };
}

/**
 * Opens an approval for a call (pending in the approval store, `approval-requested` record): the one
 * place approval is asked, by `check` (framework flows) and by suspend mode.
 */
export async function openApproval(
  run: CallRun,
  decision: Decision,
  approval: {
    readonly bindingHash: string;
    readonly expiresAt: number;
    readonly mode: 'framework' | 'suspend';
  },
): Promise<void> {
  const { config, call } = run;
  await config.pendingApprovals.open({
    bindingHash: approval.bindingHash,
    callId: call.id,
    tool: call.name,
    taskId: run.attribution.taskId,
    decisionId: decision.decisionId,
    expiresAt: approval.expiresAt,
    requester: requesterOf(run.attribution),
    agent: currentActor(run.attribution).id,
    argsDigest: call.argsDigest,
    requestedAt: config.clock(),
  });
  await appendEvent(config, approvalRequestedEvent(run, approval), run.signal);
}

/**
 * Suspend mode: no answer yet. The first time, the approval is opened and the decision remembered in the
 * call ledger (so the same call, run again in any process, finds it and its answer); every time, the call
 * is refused with `WRIT_APPROVAL_PENDING`. An approval that expired unanswered is refused.
 */
async function suspend(
  run: CallRun,
  decision: Decision,
  bindingHash: string,
  stored: PendingApproval | undefined,
): Promise<never> {
  const { config, call, key } = run;
  if (key === undefined) {
    throw new WritError(
      'WRIT_APPROVAL_REJECTED',
      `approval for ${call.name} refused: suspend mode needs the call's tool call id to resume it`,
      { details: { tool: call.name, decisionId: decision.decisionId, why: 'no_call_id' } },
    );
  }
  let expiresAt = stored?.expiresAt;
  if (stored === undefined) {
    if (run.fromLedger && (await config.pendingApprovals.take(bindingHash)) !== undefined) {
      throw new WritError(
        'WRIT_APPROVAL_REJECTED',
        `approval for ${call.name} refused: it expired before anyone answered it`,
        { details: { tool: call.name, decisionId: decision.decisionId, why: 'expired' } },
      );
    }
    const entry = { ...entryOf(run, key), bindingHash };
    expiresAt = run.remembered?.expiresAt ?? entry.expiresAt;
    await config.calls.remember(key, { ...entry, expiresAt });
    await openApproval(run, decision, { bindingHash, expiresAt, mode: 'suspend' });
  }
  throw new WritError(
    'WRIT_APPROVAL_PENDING',
    `${call.name} waits for approval (binding ${bindingHash}); run the same call again once it is answered`,
    {
      details: {
        tool: call.name,
        bindingHash,
        expiresAt: expiresAt as number,
        callId: call.id,
        taskId: run.attribution.taskId,
        decisionId: decision.decisionId,
      },
    },
  );
}

/** Asks the configured approval handler, within `timeouts.approvalMs`. */
function askHandler(
  run: CallRun,
  decision: Decision,
  bindingHash: string,
  expiresAt: number,
): Promise<ApprovalResponse> {
  const { config, call } = run;
  const handler = config.approvals;
  if (handler === undefined) {
    throw new WritError(
      'WRIT_APPROVAL_REJECTED',
      `${call.name} requires approval but no approval handler is configured`,
      { details: { tool: call.name, decisionId: decision.decisionId } },
    );
  }
  return callService({
    ms: config.timeouts.approvalMs,
    signal: run.signal,
    run: (signal) =>
      handler.requestApproval(
        { call, attribution: run.attribution, decision, bindingHash, expiresAt },
        { signal },
      ),
    timeout: () =>
      new WritError(
        'WRIT_APPROVAL_REJECTED',
        `approval for ${call.name} timed out after ${config.timeouts.approvalMs} ms`,
      ),
    passes: ['WRIT_APPROVAL_REJECTED'],
    failure: (error) =>
      new WritError('WRIT_APPROVAL_REJECTED', `approval handler "${handler.name}" failed for ${call.name}`, {
        cause: error,
      }),
  });
}

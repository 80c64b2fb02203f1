import { currentActor } from '../attribution.js';
import { canonicalJson, sha256Hex } from '../canonical-json.js';
import type { Decision } from '../decision.js';
import { WritError } from '../errors.js';
import type { ApprovalResponse } from '../interfaces.js';
import { toPrincipalRef } from '../principal.js';
import { ATTR } from '../telemetry.js';
import { callService } from './deadline.js';
import { appendEvent, approvalEvent } from './records.js';
import { requesterOf } from './replay.js';
import type { CallRun } from './state.js';

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
 * Stage 3: approval, when the decision asks for it. The answer comes through the framework (accepted
 * only for an approval `check` asked for this very call and still pending) or from the configured
 * approval handler, within `timeouts.approvalMs`. It must echo the binding hash and name its approver;
 * it is recorded (approval record) before anything else happens. Fills in `run.approval`; a declined,
 * late, malformed or unbound answer refuses the call (`WRIT_APPROVAL_REJECTED`).
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
  const framework = run.options.approval;
  let expiresAt: number;
  let response: ApprovalResponse;
  if (framework !== undefined) {
    const pending = run.fromLedger ? await config.pendingApprovals.take(bindingHash) : undefined;
    if (pending === undefined) {
      throw refuse(
        `Writ has no pending approval for tool call ${call.id} (expired, asked in another process, or never asked through Writ)`,
        'no_pending_approval',
      );
    }
    expiresAt = pending.expiresAt;
    const approver = framework.approver ?? (framework.approved ? run.attribution.requester : undefined);
    response = {
      approved: framework.approved,
      bindingHash,
      ...(approver === undefined ? {} : { approver }),
      ...(framework.reason === undefined ? {} : { reason: framework.reason }),
    };
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

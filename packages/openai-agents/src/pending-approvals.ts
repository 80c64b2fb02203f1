import type { Principal } from '@writ/core';
import { type AdaptedTool, createPendingApprovals } from '@writ/core/adapter';

/** A call Writ asked a human about (through the SDK's interruption), awaiting the answer. @internal */
export interface PendingApproval {
  readonly tool: AdaptedTool;
  /** The arguments `check` judged (what the approval is bound to). */
  readonly args: unknown;
  /** Who approved, when the application said so through `approveCall`. */
  approver?: Principal | undefined;
}

// Interrupted runs outlive the function that started them (the state is serialised, a human answers,
// the run resumes in `writ.task({ resume })`), so the calls awaiting an answer are kept here, by tool
// name and tool call id (the only keys the SDK hands to every hook involved) within the task and
// requester that asked (the kit scopes every entry to the active task: another user's run presenting the
// same call id sees nothing of it). Bounded like Writ's own call ledger; entries leave when the call
// runs or is rejected.
const pending = createPendingApprovals<PendingApproval>();

const keyOf = (toolName: string, callId: string) => `${toolName}\u0000${callId}`;

/** @internal */
export function rememberPending(toolName: string, callId: string, entry: PendingApproval): void {
  const key = keyOf(toolName, callId);
  const known = pending.get(key);
  // a re-check of the same call (e.g. after a resume without an answer) keeps the approver already named
  if (known !== undefined && known.tool.name === entry.tool.name) entry.approver ??= known.approver;
  pending.remember(key, entry);
}

/** @internal */
export function peekPending(toolName: string, callId: string): PendingApproval | undefined {
  return pending.get(keyOf(toolName, callId));
}

/** @internal */
export function forgetPending(toolName: string, callId: string): void {
  pending.forget(keyOf(toolName, callId));
}

import type { ApproverToken } from './audit-event.js';
import type { PrincipalRef } from './principal.js';
import type { RemoteCallRecord } from './remote-call-record.js';

/**
 * Who answered an approval, as `explain` shows it: the approver's id and how it was established, and for a
 * verified approver the issuer and the token id that proved it (`bob (verified by https://login.example.com,
 * token 6f0c…)`, `bob (claimed)`, `nobody`). Text from the log: escape it before a terminal shows it.
 *
 * @example
 * ```ts
 * approverText(call.approval); // 'bob@example.com (verified by https://login.example.com, token 2b7e…)'
 * ```
 */
export function approverText(approval: {
  readonly approver?: PrincipalRef | null | undefined;
  readonly approverToken?: ApproverToken | null | undefined;
}): string {
  const { approver, approverToken } = approval;
  if (approver === null || approver === undefined) return 'nobody';
  // records read from a log may lack what the type promises
  if (approver.assurance === undefined) return approver.id;
  const how =
    approver.assurance === 'verified'
      ? [
          `verified${approver.issuer === undefined ? '' : ` by ${approver.issuer}`}`,
          ...(approverToken === undefined || approverToken === null ? [] : [`token ${approverToken.jti}`]),
        ].join(', ')
      : approver.assurance;
  return `${approver.id} (${how})`;
}

/**
 * What a callee returned about one remote call, as `explain` shows it: its refusal (reported by the
 * callee, never the caller's own decision) and its receipt. Text from the log: escape it before a
 * terminal shows it.
 *
 * @example
 * ```ts
 * remoteCallText(outcome.remote[0]);
 * // 'https://orders.example/mcp lookup_order: refused WRIT_POLICY_DENIED (reported by the callee); receipt orders.example/audit/1 record 12'
 * ```
 */
export function remoteCallText(remote: RemoteCallRecord): string {
  const parts: string[] = [];
  if (remote.refusal !== undefined) parts.push(`refused ${remote.refusal.code} (reported by the callee)`);
  if (remote.receipt !== undefined)
    parts.push(`receipt ${remote.receipt.log} record ${remote.receipt.index}`);
  if (remote.problem !== undefined) parts.push(`unreadable: ${remote.problem}`);
  return `${remote.by}${remote.tool === undefined ? '' : ` ${remote.tool}`}: ${parts.join('; ')}`;
}

/**
 * How a call ended, as `explain` shows it on its outcome line: the recorded status and error code, except
 * that a tool that ended in error because the service it called refused (`outcome.remote[].refusal`) is
 * shown as that refusal, with the callee's code, rather than as the tool's own error (`error Error`). The
 * record is not changed: its status stays what the tool did. Text from the log: escape it before a
 * terminal shows it.
 *
 * @example
 * ```ts
 * outcomeText({ status: 'ok' }); // 'ok'
 * outcomeText({ status: 'error', errorCode: 'Error', remote: [refusedByOrders] });
 * // 'refused WRIT_POLICY_DENIED by https://orders.example/mcp (reported by the callee; the tool ended in error Error)'
 * ```
 */
export function outcomeText(outcome: {
  readonly status: string;
  readonly errorCode?: string | undefined;
  readonly remote?: readonly RemoteCallRecord[] | undefined;
}): string {
  const own = `${outcome.status}${outcome.errorCode ? ` ${outcome.errorCode}` : ''}`;
  const refused = outcome.status === 'ok' ? undefined : outcome.remote?.find((r) => r.refusal !== undefined);
  if (refused?.refusal === undefined) return own;
  return `refused ${refused.refusal.code} by ${refused.by} (reported by the callee; the tool ended in ${own})`;
}

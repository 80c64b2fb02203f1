import type { CanUseTool, PermissionResult } from '@anthropic-ai/claude-agent-sdk';
import { type Principal, WritError } from '@writ/core';
import { refusalMessage, runInContext } from '@writ/core/adapter';
import type { Call, Calls, Execute } from './calls.js';

/** What the permission flow needs of the adapter's calls. @internal */
export interface Governed {
  readonly calls: Calls;
  /** The call announced by `canUseTool` (the hook did not see it), remembered. */
  readonly open: (
    toolUseId: string,
    toolName: string,
    input: unknown,
    origin: { agentId?: string | undefined },
  ) => Call;
  /** How the call runs once let through (a `Task` call opens its delegation). */
  readonly executeFor: (call: Call) => Execute | undefined;
  readonly approver: Principal | undefined;
}

/**
 * The framework-native approval flow: the SDK's `canUseTool`, which the CLI calls for every call the
 * `PreToolUse` hook did not let through (the hook answers `ask` for those, so even a command the CLI
 * deems read-only comes here). A refused call is answered `deny` with Writ's refusal text, which the
 * model reads as it is. A call policy says needs approval goes to `ask` — your own `canUseTool`, the
 * permission prompt of your application — with Writ's reason as `decisionReason`: its `allow` is the
 * human's approval (recorded, bound to the call, and the call runs with the arguments approved, whatever
 * `updatedInput` says), its `deny` a rejection (recorded with its message as the reason). Without `ask`,
 * the Writ instance's `approvals` handler answers. @internal
 */
export function governedCanUseTool(governed: Governed, ask: CanUseTool | undefined): CanUseTool {
  const decide = governedPermission(governed, ask);
  // a failure of Writ's refuses the call (what the CLI does with a throwing canUseTool is its own)
  return (toolName, input, o) =>
    decide(toolName, input, o).catch((error: unknown) => ({
      behavior: 'deny' as const,
      message: refusalMessage(error),
      toolUseID: o.toolUseID,
    }));
}

function governedPermission(governed: Governed, ask: CanUseTool | undefined): CanUseTool {
  const approver = governed.approver;
  return async (toolName, input, o) => {
    const toolUseID = o.toolUseID;
    const call =
      governed.calls.get(toolUseID, toolName, input) ??
      governed.open(toolUseID, toolName, input, { agentId: o.agentID });
    const verdict = await governed.calls.decide(call);
    const deny = (message: string, interrupt?: boolean): PermissionResult => ({
      behavior: 'deny',
      message,
      toolUseID,
      ...(interrupt === true ? { interrupt } : {}),
    });
    const allow = (): PermissionResult => ({ behavior: 'allow', updatedInput: call.args, toolUseID });
    if (verdict.kind === 'denied') return deny(verdict.message);
    if (verdict.kind === 'allowed' || ask === undefined) {
      // allowed (the hook did not see the call), or approval through the instance's `approvals` handler
      const refused = await governed.calls.start(call, governed.executeFor(call));
      return refused === undefined ? allow() : deny(refused);
    }
    const answer = await ask(toolName, input, { ...o, decisionReason: verdict.message });
    if (answer?.behavior === 'allow') {
      const refused = await governed.calls.start(call, governed.executeFor(call), {
        approved: true,
        ...(approver === undefined ? {} : { approver }),
      });
      return refused === undefined ? allow() : deny(refused);
    }
    const reason = answer?.behavior === 'deny' && answer.message !== '' ? answer.message : undefined;
    const refusal = await runInContext(call.context, () =>
      call.adapted.reject(call.args, {
        toolCallId: toolUseID,
        frameworkIds: call.frameworkIds,
        ...(approver === undefined ? {} : { approver }),
        ...(reason === undefined ? {} : { reason }),
      }),
    );
    const message = refusalMessage(
      refusal ?? new WritError('WRIT_APPROVAL_REJECTED', `${toolName} was not approved`),
    );
    call.verdict = { kind: 'denied', message };
    return deny(message, answer?.behavior === 'deny' ? answer.interrupt : undefined);
  };
}

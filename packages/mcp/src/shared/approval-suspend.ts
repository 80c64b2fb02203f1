import type { WritError } from '@writ/core';
import { digest } from '@writ/core/plugin';
import type { ElicitingServer } from './approval-flow.js';
import type { ServerSettings } from './options.js';
import { type RefusalResult, refusalResult } from './refusal.js';

/**
 * `_meta` key by which a client names its own call (`params._meta["io.writ/call-id"]`, a string of at
 * most 256 characters): in suspend mode, two calls of one task with the same tool and arguments are one
 * call unless they carry different ids. `instrumentClient` sends the id of the Writ tool call it is made
 * from.
 *
 * @example
 * ```ts
 * await client.callTool({ name: 'refund_order', arguments: { orderId: '42' }, _meta: { [CALL_ID_META_KEY]: toolCallId } });
 * ```
 */
export const CALL_ID_META_KEY = 'io.writ/call-id';

/**
 * A call refused because its approval is still pending (suspend mode), as `approvalUrl` gets it: build
 * the address of the page where a human answers it (`ApprovalStore.answer(bindingHash, …)`).
 *
 * @example
 * ```ts
 * const approvalUrl = (pending: McpPendingApproval) =>
 *   `https://console.example.com/approvals/${encodeURIComponent(pending.bindingHash)}`;
 * ```
 */
export interface McpPendingApproval {
  /** The tool called. */
  readonly tool: string;
  /** Binds the answer to this call of this task; the approval store's key. */
  readonly bindingHash: string;
  /** Epoch ms after which an answer is refused. */
  readonly expiresAt: number;
  /** The caller's task (the task id of its credential). */
  readonly taskId: string;
  /** The call's id in this server's records (stable across the client's retries). */
  readonly callId: string;
  /** The `elicitationId` the client is sent: the binding hash. */
  readonly elicitationId: string;
}

/** One URL-mode elicitation of a `URLElicitationRequiredError` (MCP 2025-11-25). @internal */
export interface UrlElicitation {
  readonly mode: 'url';
  readonly elicitationId: string;
  readonly url: string;
  readonly message: string;
}

/**
 * The id of a call in suspend mode: the same for the client's retry of the same call (same task,
 * tool, arguments and client call id), on any replica, so the retry finds the approval and the call
 * ledger's entry. @internal
 */
export function suspendedCallId(
  tool: string,
  args: unknown,
  taskId: string,
  meta: Record<string, unknown>,
): string {
  const given = meta[CALL_ID_META_KEY];
  const key = typeof given === 'string' && given.length > 0 && given.length <= 256 ? given : null;
  const hash = digest({ args: digest(args ?? {}), key, taskId, tool });
  return `mcp-${hash.slice('sha256:'.length, 'sha256:'.length + 32)}`;
}

/** Whether the client declared URL-mode elicitation. @internal */
export function supportsUrlElicitation(
  capabilities: { elicitation?: { form?: object; url?: object } } | undefined,
): boolean {
  return capabilities?.elicitation?.url !== undefined;
}

/** The pending approval a `WRIT_APPROVAL_PENDING` refusal names. @internal */
export function pendingOf(error: WritError, tool: string): McpPendingApproval {
  const details = (error.details ?? {}) as Record<string, unknown>;
  const bindingHash = String(details.bindingHash);
  return {
    tool,
    bindingHash,
    expiresAt: Number(details.expiresAt),
    taskId: String(details.taskId),
    callId: String(details.callId),
    elicitationId: bindingHash,
  };
}

/**
 * What a call whose approval is pending returns: the URL-mode elicitation to throw as the SDK's
 * `URLElicitationRequiredError` when the server has an `approvalUrl` and the client declared URL
 * elicitation, else a tool error with the code, binding hash and expiry. @internal
 */
export function pendingResponse(
  settings: ServerSettings<unknown>,
  elicitor: ElicitingServer,
  error: WritError,
  tool: string,
): { readonly elicitation: UrlElicitation } | { readonly result: RefusalResult } {
  const pending = pendingOf(error, tool);
  const result = refusalResult(error, undefined, {
    bindingHash: pending.bindingHash,
    expiresAt: pending.expiresAt,
  });
  if (settings.approvalUrl === undefined || !supportsUrlElicitation(elicitor.getClientCapabilities())) {
    return { result };
  }
  let url: URL;
  try {
    url = new URL(String(settings.approvalUrl(pending)));
  } catch {
    return { result };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { result };
  return {
    elicitation: {
      mode: 'url',
      elicitationId: pending.elicitationId,
      url: url.href,
      message: `${tool} waits for a human approval (binding ${pending.bindingHash}): open the page to approve or decline it, then call ${tool} again.`,
    },
  };
}

import {
  APPROVAL_META_KEY,
  APPROVAL_SCHEMA,
  APPROVAL_SCHEMA_WITH_TOKEN,
  type ApprovalFormSchema,
  supportsFormElicitation,
  type WritApprovalMeta,
} from './approval-form.js';

/** The form elicitation an approval is asked with. @internal */
export interface ApprovalElicitation {
  readonly mode: 'form';
  readonly message: string;
  readonly requestedSchema: ApprovalFormSchema;
  readonly _meta: Record<string, unknown>;
}

/** What both SDK generations' low-level `Server` offer for elicitation (`mcpServer.server`). @internal */
export interface ElicitingServer {
  getClientCapabilities(): { elicitation?: { form?: object; url?: object } } | undefined;
  elicitInput(
    params: ApprovalElicitation,
    options: { relatedRequestId: string | number; signal: AbortSignal; timeout: number },
  ): Promise<{ action: string; content?: Record<string, unknown> | undefined }>;
}

/** The human's answer as the adapter records it. @internal */
export type ElicitedAnswer =
  | {
      readonly approved: true;
      readonly reason: string | undefined;
      /** The approver token the answer carried (a non-empty string), still to be verified. */
      readonly approverToken: string | undefined;
    }
  | {
      readonly approved: false;
      readonly reason: string;
      /** The user answered (declined); `false` when nobody could be asked or the request failed. */
      readonly answered: boolean;
    };

/**
 * Asks the human at the client through MCP elicitation (`elicitation/create`, form mode), sent as part
 * of the `tools/call` being handled so Streamable HTTP routes it on that request's stream. The form has
 * the approver token field when `withApproverToken` (the server can verify approvers).
 * @internal
 */
export async function elicitApproval(
  server: ElicitingServer,
  request: {
    readonly message: string;
    readonly approval: WritApprovalMeta;
    readonly withApproverToken: boolean;
    readonly relatedRequestId: string | number;
    readonly signal: AbortSignal;
    readonly timeoutMs: number;
  },
): Promise<ElicitedAnswer> {
  if (!supportsFormElicitation(server.getClientCapabilities())) {
    return {
      approved: false,
      answered: false,
      reason:
        'the MCP client cannot ask its user (it did not declare the elicitation capability), so no human approved the call',
    };
  }
  let result: Awaited<ReturnType<ElicitingServer['elicitInput']>>;
  try {
    result = await server.elicitInput(
      {
        mode: 'form',
        message: request.message,
        requestedSchema: request.withApproverToken ? APPROVAL_SCHEMA_WITH_TOKEN : APPROVAL_SCHEMA,
        _meta: { [APPROVAL_META_KEY]: request.approval },
      },
      { relatedRequestId: request.relatedRequestId, signal: request.signal, timeout: request.timeoutMs },
    );
  } catch (error) {
    return {
      approved: false,
      answered: false,
      reason: `asking the MCP client's user failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const given = result.content?.reason;
  const reason =
    typeof given === 'string' && given.trim().length > 0 ? given.trim().slice(0, 1000) : undefined;
  if (result.action === 'accept' && result.content?.approve === true) {
    const token = result.content.approverToken;
    return {
      approved: true,
      reason,
      approverToken: typeof token === 'string' && token.length > 0 ? token : undefined,
    };
  }
  if (result.action === 'accept') {
    return { approved: false, answered: true, reason: reason ?? 'the user answered without ticking approve' };
  }
  if (result.action === 'decline') {
    return { approved: false, answered: true, reason: reason ?? 'the user declined in the MCP client' };
  }
  return { approved: false, answered: true, reason: 'the user dismissed the approval request' };
}

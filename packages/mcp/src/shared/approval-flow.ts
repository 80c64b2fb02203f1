import { MCP_DEFAULTS } from '../defaults.js';

/**
 * The approval Writ asks the human at the client for: what the `approvalMessage` option of
 * `instrumentServer` builds the elicitation text from. The elicitation request carries
 * `{ tool, bindingHash, expiresAt }` of it in `_meta["io.writ/approval"]` ({@link APPROVAL_META_KEY}).
 *
 * @example
 * ```ts
 * const approvalMessage = (request: WritApprovalRequest) =>
 *   `The assistant wants to ${request.tool} with ${request.argsPreview}. ${request.message}. Allow it?`;
 * ```
 */
export interface WritApprovalRequest {
  /** The tool name. */
  readonly tool: string;
  /** The call's arguments. */
  readonly args: unknown;
  /** The arguments as JSON, cut to `MCP_DEFAULTS.approvalPreviewChars` characters. */
  readonly argsPreview: string;
  /** Why Writ asks: `check.message` (`refund_order needs human approval (cedar): …`). */
  readonly message: string;
  /** `sha256:<hex>` binding the approval to this tool, these arguments, this agent and this decision. */
  readonly bindingHash: string;
  /** Epoch ms after which the answer is refused (the elicitation request times out then too). */
  readonly expiresAt: number;
}

/**
 * The answer to a {@link WritApprovalRequest}: the `content` of an `accept` elicitation result, the
 * form {@link APPROVAL_SCHEMA} describes. Only `approve: true` approves; `reason` is kept in the audit
 * record.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
 *
 * const client = new Client({ name: 'support-ui', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
 * client.setRequestHandler(ElicitRequestSchema, async (request) => {
 *   const content: WritApprovalAnswer = { approve: await ui.confirm(request.params.message), reason: 'checked the receipt' };
 *   return { action: 'accept', content };
 * });
 * ```
 */
export type WritApprovalAnswer = {
  /** Ticked: the call may run with exactly these arguments. */
  approve: boolean;
  /** Why, kept in the audit record (trimmed, at most 1000 characters). */
  reason?: string;
};

/**
 * The JSON Schema of {@link APPROVAL_SCHEMA} (a restricted, flat object schema, as elicitation requires).
 *
 * @example
 * ```ts
 * // a client rendering Writ's approval form itself
 * const form: ApprovalFormSchema = APPROVAL_SCHEMA;
 * console.log(form.properties.approve.title, form.required);
 * ```
 */
export interface ApprovalFormSchema {
  readonly type: 'object';
  readonly properties: {
    readonly approve: {
      readonly type: 'boolean';
      readonly title: string;
      readonly description: string;
      readonly default: boolean;
    };
    readonly reason: {
      readonly type: 'string';
      readonly title: string;
      readonly description: string;
      readonly maxLength: number;
    };
  };
  readonly required: ['approve'];
}

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
  | { readonly approved: true; readonly reason: string | undefined }
  | {
      readonly approved: false;
      readonly reason: string;
      /** The user answered (declined); `false` when nobody could be asked or the request failed. */
      readonly answered: boolean;
    };

/**
 * The form a server asks approvals with (elicitation, form mode): an `approve` checkbox that must be
 * ticked and an optional `reason`. Only `accept` with `approve: true` approves; `decline`, `cancel` or
 * an unticked box refuse the call. The request's `_meta["io.writ/approval"]` names the tool, the
 * approval's binding hash and its expiry, for clients that render Writ approvals their own way.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
 *
 * const client = new Client({ name: 'support-ui', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
 * client.setRequestHandler(ElicitRequestSchema, async (request) => {
 *   const ok = await ui.confirm(request.params.message);
 *   return ok ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
 * });
 * ```
 */
export const APPROVAL_SCHEMA: ApprovalFormSchema = {
  type: 'object',
  properties: {
    approve: {
      type: 'boolean',
      title: 'Approve',
      description: 'Tick to let the tool run with exactly these arguments.',
      default: false,
    },
    reason: {
      type: 'string',
      title: 'Reason',
      description: 'Optional, kept in the audit record.',
      maxLength: 1000,
    },
  },
  required: ['approve'],
};

/**
 * `_meta` key of an approval elicitation: `{ tool, bindingHash, expiresAt }`.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
 *
 * const client = new Client({ name: 'support-ui', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
 * client.setRequestHandler(ElicitRequestSchema, async (request) => {
 *   const approval = request.params._meta?.[APPROVAL_META_KEY] as { tool: string; expiresAt: number } | undefined;
 *   if (approval !== undefined) return ui.askApproval(approval.tool, request.params.message, approval.expiresAt);
 *   return ui.form(request.params);
 * });
 * ```
 */
export const APPROVAL_META_KEY = 'io.writ/approval';

/** Whether the client declared form elicitation (an empty `elicitation: {}` means form, per the spec). @internal */
export function supportsFormElicitation(
  capabilities: ReturnType<ElicitingServer['getClientCapabilities']>,
): boolean {
  const elicitation = capabilities?.elicitation;
  if (elicitation === undefined) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/** The arguments as JSON for the approver, cut to `max` characters. @internal */
export function previewArgs(args: unknown, max: number = MCP_DEFAULTS.approvalPreviewChars): string {
  let json: string;
  try {
    json = JSON.stringify(args ?? {}) ?? '{}';
  } catch {
    return '(arguments cannot be shown)';
  }
  return json.length <= max ? json : `${json.slice(0, max)}…`;
}

/**
 * The elicitation text: what the `approvalMessage` option makes of the request, or
 * `<message>. Allow <tool> with <argsPreview>?` when there is no such option, or it throws or returns
 * no text. @internal
 */
export function approvalText(
  request: WritApprovalRequest,
  approvalMessage: ((request: WritApprovalRequest) => string) | undefined,
): string {
  const fallback = `${request.message}. Allow ${request.tool} with ${request.argsPreview}?`;
  try {
    const text = approvalMessage?.(request);
    return typeof text === 'string' && text.length > 0 ? text : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Asks the human at the client through MCP elicitation (`elicitation/create`, form mode), sent as part
 * of the `tools/call` being handled so Streamable HTTP routes it on that request's stream.
 * @internal
 */
export async function elicitApproval(
  server: ElicitingServer,
  request: {
    readonly message: string;
    readonly approval: { readonly tool: string; readonly bindingHash: string; readonly expiresAt: number };
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
        requestedSchema: APPROVAL_SCHEMA,
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
  if (result.action === 'accept' && result.content?.approve === true) return { approved: true, reason };
  if (result.action === 'accept') {
    return { approved: false, answered: true, reason: reason ?? 'the user answered without ticking approve' };
  }
  if (result.action === 'decline') {
    return { approved: false, answered: true, reason: reason ?? 'the user declined in the MCP client' };
  }
  return { approved: false, answered: true, reason: 'the user dismissed the approval request' };
}

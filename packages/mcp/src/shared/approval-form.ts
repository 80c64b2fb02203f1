/**
 * The answer to a Writ approval elicitation: the `content` of an `accept` result, the form
 * {@link APPROVAL_SCHEMA} describes. Only `approve: true` approves; `reason` is kept in the audit record.
 * An answer typed into a client is recorded with assurance `claimed` (nobody authenticated who ticked
 * the box); to approve as a verified approver, put an `approverToken` in it: an ID token from an
 * identity provider the server trusts, obtained for this approval (its `nonce` is the binding hash).
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
  /**
   * An ID token whose `nonce` is the approval's binding hash, verified by the server's `verifyApprover`:
   * the approval is then recorded as the token subject's, assurance `verified`.
   */
  approverToken?: string;
};

/**
 * The JSON Schema of {@link APPROVAL_SCHEMA} (a restricted, flat object schema, as elicitation
 * requires). Servers that can verify approvers (`verifyApprover`) add the `approverToken` field.
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
    readonly approverToken?: {
      readonly type: 'string';
      readonly title: string;
      readonly description: string;
      readonly maxLength: number;
    };
  };
  readonly required: ['approve'];
}

/**
 * The form a server asks approvals with (elicitation, form mode): an `approve` checkbox that must be
 * ticked and an optional `reason`. Only `accept` with `approve: true` approves; `decline`, `cancel` or
 * an unticked box refuse the call. The request's `_meta["io.writ/approval"]` carries the complete
 * arguments, the binding hash and the expiry ({@link WritApprovalMeta}), for clients that render Writ
 * approvals their own way.
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

/** The form with the approver token field, for servers that verify approvers. @internal */
export const APPROVAL_SCHEMA_WITH_TOKEN: ApprovalFormSchema = {
  ...APPROVAL_SCHEMA,
  properties: {
    ...APPROVAL_SCHEMA.properties,
    approverToken: {
      type: 'string',
      title: 'Approver token',
      description:
        'Optional: an ID token from your identity provider whose nonce is this approval’s binding hash; needed when the approval must come from a verified approver.',
      maxLength: 16_384,
    },
  },
};

/**
 * `_meta` key of an approval elicitation; its value is a {@link WritApprovalMeta}.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
 *
 * const client = new Client({ name: 'support-ui', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
 * client.setRequestHandler(ElicitRequestSchema, async (request) => {
 *   const approval = request.params._meta?.[APPROVAL_META_KEY] as WritApprovalMeta | undefined;
 *   if (approval !== undefined) return ui.askApproval(approval.tool, approval.args, approval.bindingHash);
 *   return ui.form(request.params);
 * });
 * ```
 */
export const APPROVAL_META_KEY = 'io.writ/approval';

/**
 * What an approval elicitation carries in `_meta["io.writ/approval"]`: everything the approval binds,
 * for clients that render approvals themselves (and obtain an approver token for `bindingHash`).
 *
 * @example
 * ```ts
 * const approval = request.params._meta?.[APPROVAL_META_KEY] as WritApprovalMeta;
 * const approverToken = approval.verifiedApprover
 *   ? await signInAgain({ nonce: approval.bindingHash }) // an ID token bound to this approval
 *   : undefined;
 * ```
 */
export interface WritApprovalMeta {
  readonly tool: string;
  /** The complete arguments the approval binds (their canonical JSON value). */
  readonly args: unknown;
  /** `sha256:<hex>` binding the approval to this call: tool, arguments, agent, task, requester, decision. */
  readonly bindingHash: string;
  /** Epoch ms after which the answer is refused. */
  readonly expiresAt: number;
  /** The policy wants a verified approver: a ticked box alone will be refused; send an approver token. */
  readonly verifiedApprover: boolean;
}

/** Whether the client declared form elicitation (an empty `elicitation: {}` means form, per the spec). @internal */
export function supportsFormElicitation(
  capabilities: { elicitation?: { form?: object; url?: object } } | undefined,
): boolean {
  const elicitation = capabilities?.elicitation;
  if (elicitation === undefined) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

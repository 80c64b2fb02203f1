import type { WritError } from '@writ/core';
import { refusalMessage } from '@writ/core/adapter';

/**
 * `_meta` key of a refused call's result: `{ code }`, the `WritError` code, so clients can tell Writ
 * refusals from tool errors without parsing text. A call whose approval is pending (suspend mode,
 * `WRIT_APPROVAL_PENDING`) adds `bindingHash` and `expiresAt`: call it again once the approval is answered.
 *
 * @example
 * ```ts
 * const result = await client.callTool({ name: 'refund_order', arguments: { orderId: '42' } });
 * const refusal = result._meta?.[REFUSAL_META_KEY] as { code: string } | undefined;
 * if (refusal?.code === 'WRIT_APPROVAL_REJECTED') notify('The refund was not approved');
 * ```
 */
export const REFUSAL_META_KEY = 'io.writ/refusal';

/** A refused call's tool result, in the shape both SDK generations' `CallToolResult` accept. @internal */
export interface RefusalResult {
  [key: string]: unknown;
  isError: true;
  content: [{ type: 'text'; text: string }];
  _meta: { [REFUSAL_META_KEY]: { code: string; [detail: string]: unknown } };
}

/** The tool result a refused call returns: what the model reads, plus the code for programs. @internal */
export function refusalResult(
  error: WritError,
  text: string = refusalMessage(error),
  details: Record<string, unknown> = {},
): RefusalResult {
  return {
    isError: true,
    content: [{ type: 'text', text }],
    _meta: { [REFUSAL_META_KEY]: { ...details, code: error.code } },
  };
}

import { canonicalJson } from '@writ/core/plugin';

/**
 * The approval Writ asks the human at the client for: what the `approvalMessage` option of
 * `instrumentServer` builds the first lines of the elicitation from. Whatever those lines say, Writ adds
 * the complete arguments (`argsJson`) and the binding hash after them: a prompt never shows less than
 * the approval binds.
 *
 * @example
 * ```ts
 * const approvalMessage = (request: WritApprovalRequest) =>
 *   `The assistant wants to ${request.tool}. ${request.message}. Allow it?`;
 * ```
 */
export interface WritApprovalRequest {
  /** The tool name. */
  readonly tool: string;
  /** The call's arguments. */
  readonly args: unknown;
  /** The complete arguments, as the prompt shows them: canonical JSON, indented, one member a line. */
  readonly argsJson: string;
  /** Why Writ asks: `check.message` (`refund_order needs human approval (cedar): …`). */
  readonly message: string;
  /** `sha256:<hex>` binding the approval to this call: tool, arguments, agent, task, requester, decision. */
  readonly bindingHash: string;
  /** Epoch ms after which the answer is refused (the elicitation request times out then too). */
  readonly expiresAt: number;
  /** The policy requires a verified approver (an approver token), not a ticked box. */
  readonly verifiedApprover: boolean;
}

/** What {@link showArgs} makes of a call's arguments. @internal */
export type ShownArgs =
  | { readonly ok: true; readonly json: string; readonly value: unknown }
  | { readonly ok: false; readonly why: string };

// Characters that change how text is displayed without being seen (bidi controls and isolates, zero-width
// characters, C1 controls, line and paragraph separators, variation selectors, invisible fillers): escaped
// as \uXXXX, which JSON reads back as the same string.
const HIDDEN: readonly (readonly [number, number])[] = [
  [0x80, 0x9f],
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff9, 0xfffb],
  [0xe0000, 0xe007f], // tag characters: invisible text ("ASCII smuggling")
];
const isHidden = (code: number) => HIDDEN.some(([from, to]) => code >= from && code <= to);
const unit = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;
const escapeHidden = (text: string) =>
  text.replace(/[\u{80}-\u{10ffff}]/gu, (c) => {
    const code = c.codePointAt(0) as number;
    if (!isHidden(code)) return c;
    // JSON escapes UTF-16 code units: a character beyond the BMP is its surrogate pair
    return c.length === 1 ? unit(code) : unit(c.charCodeAt(0)) + unit(c.charCodeAt(1));
  });

/**
 * The complete arguments as an approver sees them: canonical JSON (RFC 8785 member order), indented so
 * every member is on its own line, with invisible and direction-changing characters escaped. Refused
 * (`ok: false`) when the text exceeds `maxChars` or the arguments have no JSON form: a prompt that
 * cannot show everything is not shown. @internal
 */
export function showArgs(args: unknown, maxChars: number): ShownArgs {
  let value: unknown;
  try {
    value = JSON.parse(canonicalJson(args ?? {}));
  } catch {
    return { ok: false, why: 'the arguments have no JSON form, so they cannot be shown to the approver' };
  }
  const json = escapeHidden(JSON.stringify(value, null, 2));
  if (json.length > maxChars) {
    return {
      ok: false,
      why: `the arguments are too large to show the approver (${json.length} characters, the limit is ${maxChars}), so Writ did not ask`,
    };
  }
  return { ok: true, json, value };
}

/**
 * The elicitation text: the first lines (the `approvalMessage` option's text, or
 * `<message>. Allow <tool> with these arguments?` when there is no such option, or it throws or returns
 * no text), then always the complete arguments and the binding hash. @internal
 */
export function approvalText(
  request: WritApprovalRequest,
  approvalMessage: ((request: WritApprovalRequest) => string) | undefined,
): string {
  let head = `${request.message}. Allow ${request.tool} with these arguments?`;
  try {
    const text = approvalMessage?.(request);
    if (typeof text === 'string' && text.length > 0) head = text;
  } catch {
    // the default head
  }
  const verified = request.verifiedApprover
    ? '\n\nThis approval must come from a verified approver: send an approver token bound to the binding hash.'
    : '';
  return `${head}\n\nArguments (complete):\n${request.argsJson}\n\nBinding: ${request.bindingHash}${verified}`;
}

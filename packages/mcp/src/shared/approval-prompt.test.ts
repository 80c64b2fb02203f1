import { describe, expect, it } from 'vitest';
import { MCP_DEFAULTS } from '../defaults.js';
import { approvalText, showArgs, type WritApprovalRequest } from './approval-prompt.js';

describe('showArgs', () => {
  it('shows the complete arguments: canonical member order, one member a line', () => {
    expect(showArgs({ orderId: '42', amount: 30 }, 4000)).toEqual({
      ok: true,
      json: '{\n  "amount": 30,\n  "orderId": "42"\n}',
      value: { amount: 30, orderId: '42' },
    });
    expect(showArgs(undefined, 4000)).toEqual({ ok: true, json: '{}', value: {} });
    // padding the first field does not push the rest out of view: every member has its own line
    const padded = showArgs({ note: ' '.repeat(990), orderId: '42', amount: 90000 }, 4000);
    expect(padded.ok && padded.json.split('\n')).toEqual([
      '{',
      '  "amount": 90000,',
      `  "note": "${' '.repeat(990)}",`,
      '  "orderId": "42"',
      '}',
    ]);
  });

  it('escapes what would be displayed without being seen, or reorder what is seen; line breaks stay escaped', () => {
    const shown = showArgs({ note: 'refund\u202e00009 :tnuoma\u202c\u200b\nok\u2028' }, 4000);
    expect(shown.ok && shown.json).toBe(
      '{\n  "note": "refund\\u202e00009 :tnuoma\\u202c\\u200b\\nok\\u2028"\n}',
    );
    // the text is still the same JSON value
    expect(shown.ok && JSON.parse(shown.json)).toEqual({
      note: 'refund\u202e00009 :tnuoma\u202c\u200b\nok\u2028',
    });
  });

  it('refuses, saying why, when the arguments are over the limit or have no JSON form', () => {
    const huge = showArgs(
      { note: 'x'.repeat(MCP_DEFAULTS.approvalArgsMaxChars) },
      MCP_DEFAULTS.approvalArgsMaxChars,
    );
    expect(huge).toEqual({
      ok: false,
      why: `the arguments are too large to show the approver (${MCP_DEFAULTS.approvalArgsMaxChars + 16} characters, the limit is ${MCP_DEFAULTS.approvalArgsMaxChars}), so Writ did not ask`,
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [cyclic, { big: 1n }]) {
      expect(showArgs(value, 4000)).toEqual({
        ok: false,
        why: 'the arguments have no JSON form, so they cannot be shown to the approver',
      });
    }
  });
});

describe('approvalText', () => {
  const request: WritApprovalRequest = {
    tool: 'refund_order',
    args: { orderId: '42' },
    argsJson: '{\n  "orderId": "42"\n}',
    message: 'refund_order needs human approval (cedar)',
    bindingHash: `sha256:${'a'.repeat(64)}`,
    expiresAt: 1_700_000_000_000,
    verifiedApprover: false,
  };
  const tail = `\n\nArguments (complete):\n{\n  "orderId": "42"\n}\n\nBinding: sha256:${'a'.repeat(64)}`;
  const fallback = `refund_order needs human approval (cedar). Allow refund_order with these arguments?${tail}`;

  it("starts with the approvalMessage option's text, given the whole request, and always ends with the complete arguments and the binding hash", () => {
    const seen: WritApprovalRequest[] = [];
    const text = approvalText(request, (r) => {
      seen.push(r);
      return `Refund ${(r.args as { orderId: string }).orderId}?`;
    });
    expect(text).toBe(`Refund 42?${tail}`);
    expect(seen).toEqual([request]);
  });

  it('falls back to the default first line without the option, or when it throws or returns no text', () => {
    expect(approvalText(request, undefined)).toBe(fallback);
    expect(
      approvalText(request, () => {
        throw new Error('template broken');
      }),
    ).toBe(fallback);
    expect(approvalText(request, () => '')).toBe(fallback);
    expect(approvalText(request, () => 42 as unknown as string)).toBe(fallback);
  });

  it('says when the approval must come from a verified approver', () => {
    expect(approvalText({ ...request, verifiedApprover: true }, undefined)).toBe(
      `${fallback}\n\nThis approval must come from a verified approver: send an approver token bound to the binding hash.`,
    );
  });
});

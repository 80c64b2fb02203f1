import { describe, expect, it } from 'vitest';
import type { Decision } from '../decision.js';
import type { CallCheck } from './adapted-tool.js';
import {
  approvalAnswerLikeSchema,
  approvalRequestFields,
  approvalRequestFieldsSchema,
} from './approval-request.js';

const decision = {
  effect: 'approval_required',
  decisionId: 'dec_1',
  policyIds: ['high-risk-approval'],
  reasons: ['high-risk tools need a human'],
  engine: 'cedar',
} as unknown as Decision;
const check: Extract<CallCheck, { effect: 'approval_required' }> = {
  effect: 'approval_required',
  decision,
  bindingHash: `sha256:${'a'.repeat(64)}`,
  taskId: 'task_1',
  expiresAt: 1_700_000_000_000,
  message: 'refund_order needs human approval (cedar): high-risk tools need a human',
  askedBefore: false,
};

describe('approvalRequestFields', () => {
  it('says what the approver needs and what binds the answer, from the check', () => {
    const fields = approvalRequestFields({ name: 'refund_order' }, { orderId: '42' }, check);
    expect(fields).toEqual({
      taskId: 'task_1',
      tool: 'refund_order',
      args: { orderId: '42' },
      message: check.message,
      bindingHash: check.bindingHash,
      decisionId: 'dec_1',
      expiresAt: 1_700_000_000_000,
      policyIds: ['high-risk-approval'],
      reasons: ['high-risk tools need a human'],
    });
    // copies: the request does not alias the decision's arrays
    expect(fields.policyIds).not.toBe(decision.policyIds);
    expect(approvalRequestFieldsSchema.safeParse({ ...fields, type: 'x' }).success).toBe(true);
  });

  it('the schema refuses a request missing what binds it', () => {
    const fields = approvalRequestFields({ name: 'refund_order' }, {}, check);
    for (const key of ['taskId', 'bindingHash', 'decisionId', 'expiresAt'] as const) {
      const { [key]: _dropped, ...rest } = fields;
      expect(approvalRequestFieldsSchema.safeParse(rest).success, key).toBe(false);
    }
  });
});

describe('approvalAnswerLikeSchema', () => {
  it('takes approved, reason and a named approver', () => {
    const answer = { approved: true, reason: 'ok', approver: { id: 'maria@example.com', name: 'Maria' } };
    expect(approvalAnswerLikeSchema.parse(answer)).toEqual(answer);
    expect(approvalAnswerLikeSchema.parse({ approved: false, extra: 1 })).toEqual({ approved: false });
  });

  it('refuses what is not an answer', () => {
    for (const bad of [{}, { approved: 'yes' }, { approved: true, approver: { id: '' } }, null, 'yes']) {
      expect(approvalAnswerLikeSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

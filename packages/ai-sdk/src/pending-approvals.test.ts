import type { ModelMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import { humanAnswerFor, humanAnswers } from './pending-approvals.js';

const call = (toolCallId: string, toolName: string, input: unknown) =>
  ({ type: 'tool-call', toolCallId, toolName, input }) as const;
const request = (approvalId: string, toolCallId: string, isAutomatic?: boolean) =>
  ({
    type: 'tool-approval-request',
    approvalId,
    toolCallId,
    ...(isAutomatic ? { isAutomatic } : {}),
  }) as const;
const response = (approvalId: string, approved: boolean, reason?: string) =>
  ({ type: 'tool-approval-response', approvalId, approved, ...(reason ? { reason } : {}) }) as const;

describe('human answers in a conversation', () => {
  const messages: ModelMessage[] = [
    { role: 'user', content: 'go' },
    {
      role: 'assistant',
      content: [
        call('c1', 'refund_order', { orderId: '42' }),
        call('c2', 'delete_customer', { customerId: 'cus_7' }),
        call('c3', 'lookup_order', { orderId: '42' }),
        request('a1', 'c1'),
        request('a2', 'c2', true), // an automatic denial: not a human's answer
        request('a3', 'c3'),
      ],
    },
    { role: 'tool', content: [response('a2', false, 'policy')] },
    {
      role: 'tool',
      content: [response('a1', false, 'too much'), response('a3', true), response('a1', true)],
    },
  ];

  it('joins each response with its request and tool call, skips automatic ones, keeps the first per call', () => {
    expect(humanAnswers(messages)).toEqual([
      {
        approvalId: 'a1',
        toolCallId: 'c1',
        toolName: 'refund_order',
        input: { orderId: '42' },
        approved: false,
        reason: 'too much',
      },
      {
        approvalId: 'a3',
        toolCallId: 'c3',
        toolName: 'lookup_order',
        input: { orderId: '42' },
        approved: true,
        reason: undefined,
      },
    ]);
    expect(humanAnswerFor(messages, 'c3')?.approved).toBe(true);
    expect(humanAnswerFor(messages, 'c2')).toBeUndefined();
  });

  it('ignores responses whose request or tool call is not in the conversation', () => {
    expect(humanAnswers([{ role: 'tool', content: [response('a9', true)] }])).toEqual([]);
    expect(
      humanAnswers([
        { role: 'assistant', content: [request('a1', 'c-missing')] },
        { role: 'tool', content: [response('a1', true)] },
      ]),
    ).toEqual([]);
  });
});

import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import type { ElicitingServer } from './approval-flow.js';
import { CALL_ID_META_KEY, pendingResponse, suspendedCallId } from './approval-suspend.js';
import { parseServerOptions } from './options.js';
import { REFUSAL_META_KEY } from './refusal.js';

const pending = new WritError('WRIT_APPROVAL_PENDING', 'refund_order waits for approval', {
  details: {
    tool: 'refund_order',
    bindingHash: 'sha256:abc',
    expiresAt: 1_700_000_000_000,
    callId: 'mcp-1',
    taskId: 'task-1',
    decisionId: 'd-1',
  },
});

const settings = (approvalUrl?: (p: { bindingHash: string }) => string | URL) =>
  parseServerOptions({
    agent: 'orders-mcp',
    audience: 'https://orders.example/mcp',
    verifyTaskToken: () => {
      throw new Error('not used');
    },
    ...(approvalUrl === undefined ? {} : { approvalUrl }),
  });

const client = (elicitation?: { form?: object; url?: object }): ElicitingServer => ({
  getClientCapabilities: () => (elicitation === undefined ? {} : { elicitation }),
  elicitInput: () => Promise.reject(new Error('not used')),
});

describe('suspendedCallId', () => {
  it('is the same for the same call of a task, and differs for another task, tool, arguments or client call id', () => {
    const id = suspendedCallId('refund_order', { orderId: '42' }, 'task-1', {});
    expect(id).toMatch(/^mcp-[0-9a-f]{32}$/);
    expect(suspendedCallId('refund_order', { orderId: '42' }, 'task-1', {})).toBe(id);
    expect(suspendedCallId('refund_order', { orderId: '43' }, 'task-1', {})).not.toBe(id);
    expect(suspendedCallId('refund_order', { orderId: '42' }, 'task-2', {})).not.toBe(id);
    expect(suspendedCallId('cancel_order', { orderId: '42' }, 'task-1', {})).not.toBe(id);
    const named = suspendedCallId('refund_order', { orderId: '42' }, 'task-1', { [CALL_ID_META_KEY]: 'c1' });
    expect(named).not.toBe(id);
    expect(
      suspendedCallId('refund_order', { orderId: '42' }, 'task-1', { [CALL_ID_META_KEY]: 'c2' }),
    ).not.toBe(named);
    // a call id that is not a short string is ignored
    expect(suspendedCallId('refund_order', { orderId: '42' }, 'task-1', { [CALL_ID_META_KEY]: 7 })).toBe(id);
    const long = { [CALL_ID_META_KEY]: 'x'.repeat(257) };
    expect(suspendedCallId('refund_order', { orderId: '42' }, 'task-1', long)).toBe(id);
  });
});

describe('pendingResponse', () => {
  const url = (p: { bindingHash: string }) =>
    `https://console.example/approvals/${encodeURIComponent(p.bindingHash)}`;

  it('is a URL-mode elicitation naming the approval when the server has approvalUrl and the client URL elicitation', () => {
    const response = pendingResponse(settings(url), client({ url: {} }), pending, 'refund_order');
    expect(response).toEqual({
      elicitation: {
        mode: 'url',
        elicitationId: 'sha256:abc',
        url: 'https://console.example/approvals/sha256%3Aabc',
        message: expect.stringContaining('sha256:abc'),
      },
    });
  });

  it('is a tool error with the code, binding hash and expiry otherwise', () => {
    const expected = {
      result: {
        isError: true,
        content: [{ type: 'text', text: expect.stringContaining('refund_order waits for approval') }],
        _meta: {
          [REFUSAL_META_KEY]: {
            code: 'WRIT_APPROVAL_PENDING',
            bindingHash: 'sha256:abc',
            expiresAt: 1_700_000_000_000,
          },
        },
      },
    };
    // no approvalUrl
    expect(pendingResponse(settings(), client({ url: {} }), pending, 'refund_order')).toEqual(expected);
    // a client that cannot open URLs (form only, or no elicitation at all)
    expect(pendingResponse(settings(url), client({}), pending, 'refund_order')).toEqual(expected);
    expect(pendingResponse(settings(url), client(), pending, 'refund_order')).toEqual(expected);
    // an approvalUrl that throws or gives no http(s) URL
    const throws = () => {
      throw new Error('no console');
    };
    expect(pendingResponse(settings(throws), client({ url: {} }), pending, 'refund_order')).toEqual(expected);
    const notHttp = () => 'javascript:alert(1)';
    expect(pendingResponse(settings(notHttp), client({ url: {} }), pending, 'refund_order')).toEqual(
      expected,
    );
  });

  it('refuses an approvalUrl that is not a function (WRIT_OPTIONS_INVALID naming it)', () => {
    expect(() => settings('https://console.example' as never)).toThrow(/approvalUrl/);
  });
});

import { createWrit, WritError } from '@writ/core';
import { createInMemoryApprovals, createInMemoryAuditSink } from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CerbosPdp, freePort, startCerbos } from './__support__/cerbos.js';
import { cerbosMapRequest, cerbosMapResponse } from './__support__/cerbos-mapping.js';
import { recordingFetch } from './__support__/recording-fetch.js';
import { type AuthZenEngineOptions, createAuthZenEngine } from './authzen-engine.js';

let cerbos: CerbosPdp;
beforeAll(async () => {
  cerbos = await startCerbos();
});
afterAll(async () => {
  await cerbos?.close();
});

/** A Writ whose policy is the AuthZEN engine, with the tools of a support agent. */
function setup(engine: Partial<AuthZenEngineOptions> = {}) {
  const fetch = recordingFetch();
  const policy = createAuthZenEngine({
    pdp: cerbos.url,
    fetch,
    mapRequest: cerbosMapRequest,
    mapResponse: cerbosMapResponse,
    ...engine,
  });
  const audit = createInMemoryAuditSink();
  const approvals = createInMemoryApprovals({
    approver: { kind: 'human', id: 'manager@example.com', assurance: 'verified' },
    approve: () => true,
  });
  const writ = createWrit({ policy, audit, approvals, timeouts: { policyMs: 3_000 } });
  const ran: string[] = [];
  const lookup = writ.tool({
    name: 'lookup_order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    risk: 'low',
    execute: async ({ orderId }) => {
      ran.push(`lookup:${orderId}`);
      return { orderId, total: 120 };
    },
  });
  const refund = writ.tool({
    name: 'refund_order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    resource: ({ orderId, amount }) => ({ type: 'Order', id: orderId, properties: { amount } }),
    risk: 'high',
    execute: async ({ orderId, amount }) => {
      ran.push(`refund:${orderId}:${amount}`);
      return { refunded: amount };
    },
  });
  const deleteCustomer = writ.tool({
    name: 'delete_customer',
    input: z.object({ customerId: z.string() }),
    resource: ({ customerId }) => ({ type: 'Customer', id: customerId }),
    risk: 'medium',
    execute: async ({ customerId }) => {
      ran.push(`delete:${customerId}`);
      return { deleted: true };
    },
  });
  const sentRequestIds = () =>
    fetch.calls.filter((c) => c.method === 'POST').map((c) => c.headers.get('x-request-id'));
  return { writ, audit, ran, lookup, refund, deleteCustomer, sentRequestIds };
}

const task = { agent: 'support', intent: 'Help with order 42', scope: ['*'] };

describe('createWrit with the AuthZEN engine (real Cerbos PDP)', () => {
  it('runs an allowed tool; the decision record names engine authzen and the X-Request-ID', async () => {
    const t = setup();
    expect(await t.writ.task(task, () => t.lookup.execute({ orderId: '42' }))).toEqual({
      orderId: '42',
      total: 120,
    });
    expect(t.ran).toEqual(['lookup:42']);
    const [record] = t.audit.ofKind('decision');
    expect(record?.decision).toMatchObject({
      effect: 'allow',
      engine: 'authzen',
      decisionId: t.sentRequestIds()[0],
      reasons: ['agents may look up orders'],
    });
    expect(record?.decision.policyIds).toContain('resource.Order.vdefault');
    expect(record?.decision.evaluatedContext).toMatchObject({
      action: { name: 'lookup_order' },
      resource: { type: 'Order', id: '42' },
      context: { intent: 'Help with order 42', risk: 'low' },
    });
  });

  it('does not run a denied tool; the refusal is recorded with the engine, decision id and reason', async () => {
    const t = setup();
    const error = await t.writ
      .task(task, () => t.deleteCustomer.execute({ customerId: 'c-7' }))
      .catch((e) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect((error as WritError).message).toContain('customers are never deleted by agents');
    expect(t.ran).toEqual([]);
    const [record] = t.audit.ofKind('decision');
    expect(record?.decision).toMatchObject({
      effect: 'deny',
      engine: 'authzen',
      decisionId: t.sentRequestIds()[0],
    });
    expect(record?.refusal?.code).toBe('WRIT_POLICY_DENIED');
    expect(t.audit.ofKind('outcome')[0]?.outcome.status).toBe('refused');
  });

  it('a refund Cerbos marks for approval runs once a manager approves', async () => {
    const t = setup();
    const result = await t.writ.task(task, () => t.refund.execute({ orderId: '42', amount: 500 }));
    expect(result).toEqual({ refunded: 500 });
    expect(t.ran).toEqual(['refund:42:500']);
    const [record] = t.audit.ofKind('decision');
    expect(record?.decision).toMatchObject({
      effect: 'approval_required',
      reasons: ['refunds over 100 need a manager'],
    });
    expect(t.audit.ofKind('approval')[0]?.approval).toMatchObject({ approved: true });
  });

  it('with the PDP down, the tool does not run and the decision record carries the error', async () => {
    const port = await freePort();
    const t = setup({ pdp: `http://127.0.0.1:${port}` });
    const error = await t.writ.task(task, () => t.lookup.execute({ orderId: '42' })).catch((e) => e);
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect(t.ran).toEqual([]);
    const [record] = t.audit.ofKind('decision');
    expect(record?.decision).toMatchObject({ effect: 'deny', engine: 'authzen' });
    expect(record?.decision.errors?.[0]).toContain('could not be reached');
    expect(record?.refusal).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'network' } });
  });
});

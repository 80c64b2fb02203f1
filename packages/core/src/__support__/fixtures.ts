// Test support: a Writ instance wired with the in-memory implementations users get from @writ/core/testing.
import { z } from 'zod';
import { createWrit, type WritOptions } from '../index.js';
import {
  createInMemoryApprovals,
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
  type PolicyRule,
} from '../testing/index.js';

export const ALICE = 'token-alice';
export const BOB = 'token-bob';

export function setup(options: { rules?: PolicyRule[]; approve?: boolean; writ?: WritOptions } = {}) {
  const identity = createInMemoryIdentity({
    requesters: { [ALICE]: { id: 'alice@example.com' }, [BOB]: { id: 'bob@example.com' } },
  });
  const policy = createInMemoryPolicy({
    rules: options.rules ?? [
      { id: 'reads', effect: 'allow', risk: ['low'] },
      { id: 'refunds', effect: 'approval_required', tool: 'refund_order' },
      { id: 'no-deletes', effect: 'deny', tool: 'delete_customer', reason: 'agents never delete customers' },
    ],
  });
  const audit = createInMemoryAuditSink();
  const credentials = createInMemoryCredentialBroker();
  const approvals = createInMemoryApprovals({
    approver: { kind: 'human', id: 'manager@example.com', assurance: 'verified' },
    approve: () => options.approve ?? true,
  });
  const writ = createWrit({
    service: 'support',
    identity,
    policy,
    audit,
    credentials,
    approvals,
    ...options.writ,
  });
  const executed: string[] = [];
  const lookup = writ.tool({
    name: 'lookup_order',
    description: 'Look up an order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    risk: 'low',
    annotations: { readOnly: true },
    execute: async ({ orderId }) => {
      executed.push(`lookup:${orderId}`);
      return { orderId, total: 120 };
    },
  });
  const refund = writ.tool({
    name: 'refund_order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    risk: 'high',
    audience: 'https://payments.example.com',
    execute: async ({ orderId, amount }, ctx) => {
      executed.push(`refund:${orderId}:${amount}`);
      return { refunded: amount, jti: ctx.credential?.jti };
    },
  });
  const deleteCustomer = writ.tool({
    name: 'delete_customer',
    input: z.object({ customerId: z.string() }),
    resource: ({ customerId }) => ({ type: 'Customer', id: customerId }),
    risk: 'medium',
    execute: async ({ customerId }) => {
      executed.push(`delete:${customerId}`);
      return { deleted: true };
    },
  });
  return { writ, identity, policy, audit, credentials, approvals, executed, lookup, refund, deleteCustomer };
}

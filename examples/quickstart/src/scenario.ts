// The quick-start scenario, through Writ's public API only.
//
// alice asks the support agent to refund order 42. The agent looks the order up (allowed), refunds
// more than the threshold (approval required, granted by a named approver), then delegates to a
// billing sub-agent with narrower scope, which tries to delete the customer (denied) and to delegate
// onwards with a wider scope (refused).
import { type AuditEvent, createWrit, WritError } from '@writ/core';
import {
  createInMemoryApprovals,
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
} from '@writ/core/testing';
import { z } from 'zod';

export interface Step {
  readonly agent: string;
  readonly action: string;
  readonly effect: 'allow' | 'deny' | 'approval_required' | 'refused';
  readonly detail: string;
}

export async function runScenario(): Promise<{ steps: Step[]; events: AuditEvent[] }> {
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    service: 'support-desk',
    environment: 'demo',
    identity: createInMemoryIdentity({
      trustDomain: 'demo.writ.dev',
      requesters: { 'id-token-of-alice': { id: 'alice@example.com', name: 'Alice' } },
    }),
    policy: createInMemoryPolicy({
      rules: [
        { id: 'read-only-tools', effect: 'allow', when: (r) => r.action.properties.readOnly === true },
        { id: 'in-scope-writes', effect: 'allow', inScope: true, risk: ['low', 'medium'] },
        { id: 'high-risk-needs-approval', effect: 'approval_required', risk: ['high'], inScope: true },
        {
          id: 'destructive-out-of-scope',
          effect: 'deny',
          inScope: false,
          when: (r) => r.action.properties.destructive === true,
          reason: 'destructive tools outside the task scope are denied',
        },
      ],
    }),
    credentials: createInMemoryCredentialBroker({ ttlMs: 5 * 60_000 }),
    approvals: createInMemoryApprovals({
      approver: {
        kind: 'human',
        id: 'maria@example.com',
        name: 'Maria (support lead)',
        assurance: 'verified',
      },
      approve: (request) => request.call.name === 'refund_order',
    }),
    audit,
  });

  const lookupOrder = writ.tool({
    name: 'lookup_order',
    description: 'Read an order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    permission: 'orders:read',
    risk: 'low',
    annotations: { readOnly: true },
    execute: async ({ orderId }) => ({ orderId, customerId: 'cus_7', total: 480 }),
  });
  const refundOrder = writ.tool({
    name: 'refund_order',
    description: 'Refund part of an order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    permission: 'orders:refund',
    risk: 'high',
    audience: 'https://payments.example.com',
    execute: async ({ amount }, ctx) => ({ refunded: amount, credential: ctx.credential?.jti }),
  });
  const deleteCustomer = writ.tool({
    name: 'delete_customer',
    description: 'Delete a customer account',
    input: z.object({ customerId: z.string() }),
    resource: ({ customerId }) => ({ type: 'Customer', id: customerId }),
    permission: 'customers:delete',
    risk: 'medium',
    annotations: { destructive: true },
    execute: async () => ({ deleted: true }),
  });

  const steps: Step[] = [];
  const attempt = async (agent: string, action: string, run: () => Promise<unknown>) => {
    try {
      const value = await run();
      const last = audit.ofKind('decision').at(-1);
      steps.push({ agent, action, effect: last?.decision.effect ?? 'allow', detail: describe(last, value) });
    } catch (error) {
      if (!WritError.isInstance(error)) throw error;
      const effect = error.code === 'WRIT_POLICY_DENIED' ? 'deny' : 'refused';
      steps.push({ agent, action, effect, detail: `${error.code}: ${error.message}` });
    }
  };

  await writ.task(
    {
      requester: 'id-token-of-alice',
      agent: 'support-bot',
      intent: 'Refund the damaged item on order 42',
      scope: ['orders:*', 'customers:read', 'customers:delete'],
    },
    async () => {
      await attempt('support-bot', 'lookup_order(42)', () => lookupOrder.execute({ orderId: '42' }));
      await attempt('support-bot', 'refund_order(42, 250)', () =>
        refundOrder.execute({ orderId: '42', amount: 250 }),
      );
      await writ.delegate(
        { agent: 'billing-bot', scope: ['orders:read', 'customers:read'], intent: 'Close the billing side' },
        async () => {
          await attempt('billing-bot', 'delete_customer(cus_7)', () =>
            deleteCustomer.execute({ customerId: 'cus_7' }),
          );
          await attempt('billing-bot', 'delegate ledger-bot with scope [*]', () =>
            writ.delegate({ agent: 'ledger-bot', scope: ['*'] }, async () => undefined),
          );
        },
      );
    },
  );
  await writ.close();
  return { steps, events: audit.events };
}

function describe(decision: Extract<AuditEvent, { kind: 'decision' }> | undefined, value: unknown): string {
  if (decision === undefined) return JSON.stringify(value);
  const parts = [`policy ${decision.decision.policyIds.join(', ')}`];
  if (decision.approval) parts.push(`approved by ${decision.approval.approver?.id}`);
  if (decision.credential?.audience)
    parts.push(`credential ${decision.credential.jti.slice(0, 13)}… for ${decision.credential.audience}`);
  return parts.join('; ');
}

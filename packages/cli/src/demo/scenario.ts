// The `writ demo` scenario, on the zero-config runtime and through Writ's public API only.
//
// alice asks the support agent to refund order 42. The agent looks the order up (allowed by the shipped
// Cedar policy: read-only), refunds it (high risk: approval required, granted by a named approver), then
// delegates to a billing sub-agent with narrower scope, which tries to delete the customer (denied:
// destructive and outside its scope) and to delegate onwards with a wider scope (refused).
import { createCallbackApprovals } from '@writ/policy';
import { createWrit, defineAgent, WritError, type WritRuntime } from 'writ';
import { z } from 'zod';

export interface Step {
  readonly agent: string;
  readonly action: string;
  readonly effect: 'allow' | 'deny' | 'approval_required' | 'refused';
  readonly detail: string;
}

export interface ScenarioResult {
  readonly steps: Step[];
  readonly taskId: string;
  readonly correlationId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
}

const maria = {
  kind: 'human' as const,
  id: 'maria@example.com',
  name: 'Maria (support lead)',
  assurance: 'verified' as const,
};

export async function runScenario(options: { dir: string }): Promise<ScenarioResult> {
  const writ: WritRuntime = createWrit({
    dir: options.dir,
    service: 'support-desk',
    environment: 'demo',
    agents: [
      defineAgent({
        id: 'support-bot',
        owner: 'support-platform@example.com',
        purpose: 'Resolve customer tickets',
        scope: ['orders:*', 'customers:*'],
      }),
      defineAgent({
        id: 'billing-bot',
        owner: 'finance-eng@example.com',
        purpose: 'Settle billing for resolved tickets',
        scope: ['orders:*', 'customers:*'],
      }),
      defineAgent({ id: 'ledger-bot', owner: 'finance-eng@example.com', purpose: 'Book ledger entries' }),
    ],
    approvals: createCallbackApprovals((request) => ({
      approved: request.call.name === 'refund_order',
      approver: maria,
    })),
  });
  const { localIdentity, fileAudit } = await writ.ready();

  const lookupOrder = writ.tool({
    name: 'lookup_order',
    description: 'Read an order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    permission: 'orders:read',
    risk: 'low',
    annotations: { readOnly: true },
    execute: async ({ orderId }, ctx) => ({
      orderId,
      customerId: 'cus_7',
      total: 480,
      effect: ctx.decision.effect,
    }),
  });
  const refundOrder = writ.tool({
    name: 'refund_order',
    description: 'Refund part of an order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    permission: 'orders:refund',
    risk: 'high',
    audience: 'https://payments.example.com',
    execute: async ({ amount }, ctx) => ({
      refunded: amount,
      credential: ctx.credential?.jti,
      effect: ctx.decision.effect,
    }),
  });
  const deleteCustomer = writ.tool({
    name: 'delete_customer',
    description: 'Delete a customer account',
    input: z.object({ customerId: z.string() }),
    resource: ({ customerId }) => ({ type: 'Customer', id: customerId }),
    permission: 'customers:delete',
    risk: 'medium',
    annotations: { destructive: true },
    execute: async (_args, ctx) => ({ deleted: true, effect: ctx.decision.effect }),
  });

  const steps: Step[] = [];
  const attempt = async (
    agent: string,
    action: string,
    run: () => Promise<unknown>,
    describe: (value: unknown) => string,
  ) => {
    try {
      const value = await run();
      steps.push({
        agent,
        action,
        effect: action.startsWith('refund') ? 'approval_required' : 'allow',
        detail: describe(value),
      });
    } catch (error) {
      if (!WritError.isInstance(error)) throw error;
      steps.push({
        agent,
        action,
        effect: error.code === 'WRIT_POLICY_DENIED' ? 'deny' : 'refused',
        detail: `${error.code}: ${error.message}`,
      });
    }
  };

  const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  const attribution = await writ.task(
    {
      requester: alice,
      agent: 'support-bot',
      intent: 'Refund the damaged item on order 42',
      scope: ['orders:*', 'customers:read', 'customers:delete'],
    },
    async (task) => {
      await attempt(
        'support-bot',
        'lookup_order(42)',
        () => lookupOrder.execute({ orderId: '42' }),
        () => 'read-only tool: allowed',
      );
      await attempt(
        'support-bot',
        'refund_order(42, 250)',
        () => refundOrder.execute({ orderId: '42', amount: 250 }),
        (v) =>
          `approved by ${maria.id}; credential ${String((v as { credential?: string }).credential).slice(0, 13)}… for https://payments.example.com`,
      );
      await writ.delegate(
        { agent: 'billing-bot', scope: ['orders:read', 'customers:read'], intent: 'Close the billing side' },
        async () => {
          await attempt(
            'billing-bot',
            'delete_customer(cus_7)',
            () => deleteCustomer.execute({ customerId: 'cus_7' }),
            () => 'deleted',
          );
          await attempt(
            'billing-bot',
            'delegate ledger-bot with scope [*]',
            () => writ.delegate({ agent: 'ledger-bot', scope: ['*'] }, async () => undefined),
            () => 'delegated',
          );
        },
      );
      return task.attribution;
    },
  );
  await writ.close();
  return {
    steps,
    taskId: attribution.taskId,
    correlationId: attribution.correlationId,
    auditDir: fileAudit?.dir ?? '',
    verifierKey: fileAudit?.verifierKey ?? '',
  };
}

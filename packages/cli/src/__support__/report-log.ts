// Test support for the report's layout tests: a real log, written by the Writ pipeline through the file
// sink, with what an investigator opens a report for — an allowed call, a denied call, an approval
// granted with a reason, a refused approval, a delegation, a task that ended in error, and a task another
// service continued (`writ.task({ inbound })`) after a two-agent chain upstream. That other service (the
// shop) writes its own log too, for the report over both logs. Ids are the long ones real systems
// produce (UUIDv7 task ids, provider call ids, SPIFFE ids, URL audiences).
import { join } from 'node:path';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import {
  createInMemoryApprovals,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
} from '@writ/core/testing';
import {
  createCredentialBroker,
  createLocalAuthority,
  createLocalIdentity,
  verifyTaskToken,
} from '@writ/identity';
import { z } from 'zod';

export interface LayoutLog {
  readonly logDir: string;
  readonly verifierKey: string;
  readonly approver: string;
  readonly approvalReason: string;
  /** The continued task: its id, and the upstream agents of its chain in order (outermost first). */
  readonly continued: {
    readonly taskId: string;
    readonly upstream: readonly string[];
    readonly agent: string;
  };
  readonly intents: readonly string[];
  /**
   * The shop's own log (the caller of the continued task), for a report over both logs: its key, the
   * call that continued in the payments API and one issued a credential for it that was never presented
   * there (a finding when both logs are read).
   */
  readonly shop: {
    readonly logDir: string;
    readonly verifierKey: string;
    readonly calls: { readonly continued: string; readonly unused: string };
  };
  /** Call ids by what they show. */
  readonly calls: {
    readonly allowed: string;
    readonly denied: string;
    readonly approved: string;
    readonly refused: string;
    readonly delegated: string;
    readonly failed: string;
    readonly continued: string;
  };
}

const APPROVER = 'maria.gonzalez@finance.example.com';
const REASON =
  'Customer is on the VIP plan and the amount is under the 500 EUR monthly goodwill limit; ticket SUP-88213';

/** Writes the log under `dir`/audit (keys under `dir`/keys) and says what is in it. */
export async function buildLayoutLog(dir: string): Promise<LayoutLog> {
  const logDir = join(dir, 'audit');
  const audit = await createFileAuditSink({ dir: logDir, keyDir: join(dir, 'keys') });
  const payments = createWrit({
    service: 'payments-api',
    audit,
    identity: createInMemoryIdentity({
      trustDomain: 'payments.prod.example.com',
      issuer: 'https://login.example.com/realms/customers',
      requesters: {
        'tok-alice': { id: 'alice.johnson@customers.example.com' },
        'tok-bob': { id: 'bob.smith@customers.example.com' },
      },
    }),
    credentials: createInMemoryCredentialBroker(),
    approvals: createInMemoryApprovals({
      approver: { kind: 'human', id: APPROVER, assurance: 'verified' },
      approve: (request) => request.call.name !== 'wire_transfer_external',
      reason: REASON,
    }),
    policy: createInMemoryPolicy({
      name: 'cedar-embedded',
      rules: [
        { id: 'payments.read.orders-and-customers', effect: 'allow', tool: ['lookup_order', 'credit_note'] },
        { id: 'payments.charge.verified-callers', effect: 'allow', tool: 'charge_card' },
        {
          id: 'payments.refunds.require-human-approval-over-100-eur',
          effect: 'approval_required',
          tool: ['refund_order', 'wire_transfer_external'],
          reason: 'refunds and transfers need a human approval (amount over 100 EUR)',
        },
        {
          id: 'payments.customers.never-delete-from-agents',
          effect: 'deny',
          tool: 'delete_customer_account',
          reason: 'agents never delete customer accounts: GDPR erasure goes through the privacy desk',
        },
      ],
    }),
  });
  const tool = (name: string, audience?: string, fail = false) =>
    payments.tool({
      name,
      audience,
      input: z.object({ id: z.string() }),
      resource: ({ id }) => ({ type: 'Order', id }),
      execute: async () => {
        if (fail) throw new Error('upstream ledger timed out');
        return 'done';
      },
    });
  const lookup = tool('lookup_order');
  const refund = tool('refund_order', 'https://payments.prod.example.com/api/v2/refunds');
  const wire = tool('wire_transfer_external', 'https://treasury.prod.example.com/api/v1/transfers');
  const remove = tool('delete_customer_account');
  const credit = tool('credit_note', 'https://ledger.internal.example.com/api/v2/credit-notes', true);
  const charge = tool('charge_card', 'https://psp.prod.example.com/v3/charges');
  const swallow = () => undefined;

  const intents = [
    'Refund order 4711: the parcel arrived damaged and the customer asked twice for their money back',
    'Reconcile the March ledger for order 7 and issue the missing credit note',
    'Charge the card on file for the replacement order the research agent found',
  ] as const;
  const calls = {
    allowed: 'call_9Vq3xkT7mZ2bLwQe8RfYhN1c',
    denied: 'call_Xw2LmP8qRz4TnV7yKc1HbD6s',
    approved: 'call_4FgHj8KlMn2PqRs5TuVw9XyZ',
    refused: 'call_Bc3De4Fg5Hi6Jk7Lm8No9Pq0',
    delegated: 'toolu_01A09q90qw90lq917835lq9',
    failed: 'call_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2',
    continued: 'toolu_01Hk5RwZt9aXb3Lm7Qp2Nc4D',
  } as const;

  await payments.task(
    { requester: 'tok-alice', agent: 'support-assistant', intent: intents[0], scope: ['*'] },
    async () => {
      await lookup.execute({ id: '4711' }, { toolCallId: calls.allowed });
      await remove.execute({ id: 'cust-88213' }, { toolCallId: calls.denied }).catch(swallow);
      await refund.execute({ id: '4711' }, { toolCallId: calls.approved });
      await wire.execute({ id: 'iban-DE89' }, { toolCallId: calls.refused }).catch(swallow);
      await payments.delegate({ agent: 'billing-reconciler', scope: ['*'] }, async () => {
        await lookup.execute({ id: '4711' }, { toolCallId: calls.delegated });
      });
    },
  );
  await payments
    .task({ requester: 'tok-bob', agent: 'ledger-clerk', intent: intents[1], scope: ['*'] }, async () => {
      await credit.execute({ id: '7' }, { toolCallId: calls.failed });
    })
    .catch(swallow);

  // another service (the shop) runs a task through two agents; its researcher calls the payments API
  // with a credential minted for it, and the payments API continues the task under the caller's task id
  const authority = await createLocalAuthority({
    dir: join(dir, 'shop-keys'),
    trustDomain: 'shop.example.com',
  });
  const shopIdentity = createLocalIdentity({ authority });
  const shopAudit = await createFileAuditSink({
    dir: join(dir, 'shop-audit'),
    keyDir: join(dir, 'shop-log-keys'),
  });
  const shop = createWrit({
    service: 'shop-orchestrator',
    audit: shopAudit,
    identity: shopIdentity,
    credentials: createCredentialBroker({ authority }),
    policy: createInMemoryPolicy({ fallback: 'allow' }),
  });
  const paymentsAudience = 'https://payments.prod.example.com';
  let continuedTask = '';
  const callPayments = shop.tool({
    name: 'call_payments_api',
    audience: paymentsAudience,
    input: z.object({ id: z.string() }),
    execute: async ({ id }, ctx) => {
      const inbound = await verifyTaskToken(ctx.credential?.token, {
        issuer: authority.issuer,
        audience: paymentsAudience,
        jwks: authority.jwks(),
      });
      continuedTask = inbound.taskId;
      return payments.task({ agent: 'payments-api', inbound, intent: intents[2] }, () =>
        charge.execute({ id }, { toolCallId: calls.continued }),
      );
    },
  });
  const notifyPayments = shop.tool({
    name: 'notify_payments_later',
    audience: paymentsAudience,
    input: z.object({ id: z.string() }),
    execute: async ({ id }) => `queued ${id}`,
  });
  const shopCalls = {
    continued: 'call_Sh0pC4ll9PaymentsApiR77x',
    unused: 'call_Sh0pN0t1fyPaymentsL8r',
  } as const;
  const carol = await shopIdentity.issueRequesterToken({ sub: 'carol.white@customers.example.com' });
  await shop.task(
    { requester: carol, agent: 'shop-orchestrator', intent: 'Replace the broken kettle', scope: ['*'] },
    async () => {
      await shop.delegate({ agent: 'order-researcher', scope: ['*'] }, () =>
        callPayments.execute({ id: 'r-77' }, { toolCallId: shopCalls.continued }),
      );
      await notifyPayments.execute({ id: 'r-77' }, { toolCallId: shopCalls.unused });
    },
  );
  await shop.close();
  await payments.close();
  return {
    logDir,
    verifierKey: audit.verifierKey,
    approver: APPROVER,
    approvalReason: REASON,
    continued: {
      taskId: continuedTask,
      upstream: ['shop-orchestrator', 'order-researcher'],
      agent: 'payments-api',
    },
    intents,
    calls,
    shop: { logDir: join(dir, 'shop-audit'), verifierKey: shopAudit.verifierKey, calls: shopCalls },
  };
}

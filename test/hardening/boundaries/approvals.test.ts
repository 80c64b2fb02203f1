// Issue 18 items 2 (the policy side) and 11: an approval binds the exact arguments it was shown, and a
// policy can require a verified approver.
import { WritError } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import { VERIFIED_APPROVER } from '@writ/core/plugin';
import { describe, expect, it } from 'vitest';
import { attack } from './attacks.js';
import { ALICE, instance, MARIA } from './support.js';

describe('what an approval binds', () => {
  it(
    attack(
      'approver-claimed',
      'an approver who only claims who they are cannot approve where policy requires a verified one',
    ),
    async () => {
      const { writ, audit } = instance({
        writ: {
          policy: {
            name: 'needs-verified',
            decide: async (request) => ({
              effect: 'approval_required',
              policyIds: ['refunds'],
              reasons: ['refunds need a verified approver'],
              obligations: [{ id: VERIFIED_APPROVER }],
              decisionId: `d-${Math.random()}`,
              engine: 'needs-verified',
              evaluatedContext: request,
            }),
          },
        },
      });
      const ran: string[] = [];
      const refund = adaptTool('test-framework', { name: 'refund_order' }, () => ran.push('refund'), {
        writ,
      });
      const claimed = { kind: 'human', id: 'alice@example.com', assurance: 'claimed' } as const;
      await writ.task({ requester: ALICE, agent: 'support' }, async () => {
        await refund.check({ orderId: '42' }, { toolCallId: 'c1' });
        const error = await refund
          .run({ orderId: '42' }, { toolCallId: 'c1', approval: { approved: true, approver: claimed } })
          .catch((e: unknown) => e);
        expect(WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED')).toBe(true);
        expect((error as WritError).details.why).toBe('approver_not_verified');
        await refund.check({ orderId: '43' }, { toolCallId: 'c2' });
        await refund.run(
          { orderId: '43' },
          { toolCallId: 'c2', approval: { approved: true, approver: MARIA } },
        );
      });
      expect(ran).toEqual(['refund']);
      expect(audit.ofKind('approval').map((e) => e.approval.approver?.assurance)).toEqual(['verified']);
    },
  );
});

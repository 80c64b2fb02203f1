import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { describe, expect } from 'vitest';
import { agentRequest } from './__support__/requests.js';
import { createAuthZenEngine } from './authzen-engine.js';

/** An engine whose PDP answers `body` (stub fetch: any JSON, including what no real PDP sends). */
function answering(body: unknown, includeAdminReasons = false) {
  const fetch: FetchLike = async () =>
    new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
  return createAuthZenEngine({ pdp: 'https://pdp.example.com', endpoints: {}, fetch, includeAdminReasons });
}

const request = agentRequest('lookup_order', { type: 'Order', id: '42' });

const contextMember = fc.constantFrom(
  'reason',
  'reasons',
  'reason_user',
  'reason_admin',
  'policy_id',
  'policy_ids',
  'error',
  'writ',
  'other',
);
const answer = fc.record(
  {
    decision: fc.oneof(fc.boolean(), fc.jsonValue()),
    context: fc.oneof(
      fc.dictionary(contextMember, fc.jsonValue()),
      fc.record({
        writ: fc.record({ approval_required: fc.oneof(fc.boolean(), fc.jsonValue()) }, { requiredKeys: [] }),
        reason: fc.string(),
      }),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

describe('reading PDP answers (property, stub fetch)', () => {
  test.prop([fc.oneof(answer, fc.jsonValue())], { numRuns: 300 })(
    'any answer is either a well-formed decision or WRIT_PDP_UNAVAILABLE; allow only for decision: true',
    async (body) => {
      const outcome = await answering(body)
        .decide(request)
        .then(
          (decision) => ({ decision }),
          (error: unknown) => ({ error }),
        );
      if ('error' in outcome) {
        expect(WritError.isInstance(outcome.error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
        return;
      }
      const { decision } = outcome;
      const sent = body as {
        decision: unknown;
        context?: { writ?: { approval_required?: unknown }; error?: unknown };
      };
      expect(typeof sent.decision).toBe('boolean');
      expect(['allow', 'deny', 'approval_required']).toContain(decision.effect);
      if (decision.effect === 'allow') {
        expect(sent.decision).toBe(true);
        expect(sent.context?.writ?.approval_required).not.toBe(true);
      }
      if (sent.context?.writ?.approval_required === true && decision.effect !== 'deny') {
        expect(decision.effect).toBe('approval_required');
      }
      expect(decision.reasons.length).toBeLessThanOrEqual(32);
      expect(decision.reasons.every((r) => typeof r === 'string' && r.length <= 1000)).toBe(true);
      expect(decision.policyIds.every((id) => typeof id === 'string')).toBe(true);
    },
  );

  test.prop(
    [fc.boolean(), fc.dictionary(fc.string(), fc.string()), fc.dictionary(contextMember, fc.jsonValue())],
    {
      numRuns: 150,
    },
  )('reason_admin never reaches the reasons unless includeAdminReasons', async (verdict, admin, rest) => {
    const marked = Object.fromEntries(Object.entries(admin).map(([k, v]) => [k, `ADMIN-ONLY ${v}`]));
    const body = { decision: verdict, context: { ...rest, reason_admin: marked } };
    const outcome = await answering(body)
      .decide(request)
      .catch(() => undefined);
    if (outcome !== undefined) expect(outcome.reasons.join('\n')).not.toContain('ADMIN-ONLY');
    const withAdmin = await answering(body, true)
      .decide(request)
      .catch(() => undefined);
    if (withAdmin !== undefined && Object.keys(marked).length > 0 && withAdmin.reasons.length < 32) {
      expect(withAdmin.reasons.some((r) => r.startsWith('[admin] ADMIN-ONLY'))).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { checkDecision } from './check-decision.js';
import type { AuthorizationRequest } from './decision.js';
import { WritError } from './errors.js';

const request = { subject: { id: 'a' } } as unknown as AuthorizationRequest;
const options = { engine: 'cedar', request, generateId: () => 'generated' };

describe('checkDecision', () => {
  it('fills in a missing decision id, engine and evaluated context', () => {
    expect(checkDecision({ effect: 'allow', policyIds: [], reasons: [] }, options)).toEqual({
      effect: 'allow',
      policyIds: [],
      reasons: [],
      decisionId: 'generated',
      engine: 'cedar',
      evaluatedContext: request,
    });
    expect(
      checkDecision(
        { effect: 'deny', policyIds: ['p'], reasons: ['r'], decisionId: 'd', engine: 'opa' },
        options,
      ),
    ).toMatchObject({ decisionId: 'd', engine: 'opa' });
  });

  it.each([
    null,
    'allow',
    { effect: 'permit', policyIds: [], reasons: [] },
    { effect: 'allow', policyIds: 'p', reasons: [] },
    { effect: 'allow', policyIds: [], reasons: [1] },
    { effect: 'allow', policyIds: [], reasons: [], errors: 'e' },
    { effect: 'allow', policyIds: [], reasons: [], obligations: {} },
  ])('refuses a malformed answer %j', (raw) => {
    const error = (() => {
      try {
        checkDecision(raw, options);
      } catch (e) {
        return e;
      }
    })();
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toEqual({ engine: 'cedar', reason: 'malformed_decision' });
  });

  it('an answer that reports evaluation errors is a deny, whatever its effect', () => {
    for (const effect of ['allow', 'approval_required'] as const) {
      const d = checkDecision({ effect, policyIds: ['p'], reasons: [], errors: ['p failed'] }, options);
      expect(d.effect).toBe('deny');
      expect(d.reasons).toContain('the policy engine reported evaluation errors');
    }
    expect(checkDecision({ effect: 'allow', policyIds: [], reasons: [], errors: [] }, options).effect).toBe(
      'allow',
    );
  });
});

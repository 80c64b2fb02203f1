import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { agentRequest } from './__support__/requests.js';
import {
  type AuthZenReadOptions,
  notEvaluated,
  readEvaluation,
  readEvaluations,
} from './authzen-decision.js';
import type { AuthZenRequest } from './authzen-types.js';

const request = agentRequest('lookup_order', { type: 'Order', id: '42' });
const wire: AuthZenRequest = {
  subject: request.subject,
  action: request.action,
  resource: request.resource,
  context: request.context,
};
const exchange = {
  url: 'https://pdp.example.com/access/v1/evaluation?x=1',
  requestId: 'req-1',
  what: 'authzen: AuthZEN evaluation',
};
const reading: AuthZenReadOptions = { engine: 'authzen', includeAdminReasons: false };

const read = (answer: unknown, options: Partial<AuthZenReadOptions> = {}) =>
  readEvaluation(answer, wire, request, exchange, { ...reading, ...options });

function thrown(fn: () => unknown): WritError {
  try {
    fn();
  } catch (error) {
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    return error as WritError;
  }
  throw new Error('expected a throw');
}

describe('readEvaluation: one Access Evaluation answer as a Writ decision', () => {
  it('decision true is allow, false is deny; the request id sent is the decision id', () => {
    expect(read({ decision: true })).toEqual({
      effect: 'allow',
      policyIds: [],
      reasons: [],
      decisionId: 'req-1',
      engine: 'authzen',
      evaluatedContext: request,
    });
    expect(read({ decision: false, context: { id: 'pdp-own-id' } })).toMatchObject({
      effect: 'deny',
      decisionId: 'req-1',
    });
  });

  it.each([
    ['no decision', { context: { reason: 'ok' } }, 'decision must be a boolean'],
    ['a string decision', { decision: 'true' }, 'decision must be a boolean'],
    ['an array', [true], 'the decision is not a JSON object'],
    ['null', null, 'the decision is not a JSON object'],
    ['a context that is not an object', { decision: true, context: 'fine' }, 'context must be an object'],
    [
      'a malformed writ convention',
      { decision: true, context: { writ: { approval_required: 'no' } } },
      'context.writ.approval_required must be a boolean',
    ],
  ])(
    '%s: WRIT_PDP_UNAVAILABLE (invalid_response), which the pipeline records as a deny',
    (_label, answer, problem) => {
      const error = thrown(() => read(answer));
      expect(error.message).toBe(`authzen: AuthZEN evaluation returned an unusable answer: ${problem}`);
      expect(error.details).toEqual({
        endpoint: 'https://pdp.example.com/access/v1/evaluation',
        requestId: 'req-1',
        reason: 'invalid_response',
        problem,
      });
    },
  );

  it('reads reason, reasons, reason_user (reason_admin only when asked), policy ids and obligations', () => {
    const context = {
      reason: 'outside business hours',
      reasons: ['second', { id: '1', reason_user: { en: 'third' }, reason_admin: { en: 'rule 7' } }],
      reason_user: { '403': 'Insufficient privileges' },
      reason_admin: { '403': 'Request failed policy C076E82F' },
      policy_id: 'hours',
      policy_ids: ['hours', 'tier-2'],
      writ: { obligations: [{ id: 'notify', attributes: { channel: 'ops' } }] },
    };
    expect(read({ decision: false, context })).toMatchObject({
      effect: 'deny',
      policyIds: ['hours', 'tier-2'],
      reasons: ['outside business hours', 'second', 'third', 'Insufficient privileges'],
      obligations: [{ id: 'notify', attributes: { channel: 'ops' } }],
    });
    expect(read({ decision: false, context }, { includeAdminReasons: true }).reasons).toEqual([
      'outside business hours',
      'second',
      'third',
      '[admin] rule 7',
      'Insufficient privileges',
      '[admin] Request failed policy C076E82F',
    ]);
  });

  it('context.writ.approval_required asks for approval; context.error is a deny carrying the error', () => {
    expect(read({ decision: false, context: { writ: { approval_required: true } } }).effect).toBe(
      'approval_required',
    );
    expect(read({ decision: true, context: { error: 'store offline' } })).toMatchObject({
      effect: 'deny',
      reasons: ['PDP reported an error: store offline'],
      errors: ['PDP reported an error: store offline'],
    });
  });

  it('applies mapResponse (given the request as sent) to well-formed answers only', () => {
    const seen: AuthZenRequest[] = [];
    const mapResponse = (
      response: { decision: boolean; context?: Record<string, unknown> },
      sent: AuthZenRequest,
    ) => {
      seen.push(sent);
      return { decision: response.decision, context: { reason: String(response.context?.why) } };
    };
    expect(read({ decision: false, context: { why: 'no role' } }, { mapResponse }).reasons).toEqual([
      'no role',
    ]);
    expect(seen).toEqual([wire]);
    thrown(() => read({ decision: 'maybe' }, { mapResponse }));
    expect(seen).toHaveLength(1);
  });

  it('a throwing mapResponse is an unusable answer naming its message', () => {
    const error = thrown(() =>
      read(
        { decision: true },
        {
          mapResponse: () => {
            throw new Error('unexpected vendor format');
          },
        },
      ),
    );
    expect(error.details.problem).toBe('mapResponse failed: unexpected vendor format');
  });
});

describe('readEvaluations: an Access Evaluations answer as one decision per request', () => {
  const other = agentRequest('refund_order', { type: 'Order', id: '42' });
  const requests = [request, other, request];
  const wires = [wire, { ...wire, action: other.action }, wire];
  const batch = {
    ...exchange,
    url: 'https://pdp.example.com/access/v1/evaluations',
    what: 'authzen: AuthZEN evaluations',
  };
  const readAll = (
    answer: Record<string, unknown>,
    semantic: 'execute_all' | 'deny_on_first_deny' = 'execute_all',
  ) => readEvaluations(answer, wires, requests, semantic, batch, reading);

  it('answers in order, ids <request id>#<index>', () => {
    const decisions = readAll({ evaluations: [{ decision: true }, { decision: false }, { decision: true }] });
    expect(decisions.map((d) => [d.effect, d.decisionId, d.evaluatedContext])).toEqual([
      ['allow', 'req-1#0', request],
      ['deny', 'req-1#1', other],
      ['allow', 'req-1#2', request],
    ]);
  });

  it('an item with a missing or invalid decision is denied with the problem as error; the others stand', () => {
    const decisions = readAll({ evaluations: [{ decision: true }, { context: {} }, { decision: 1 }] });
    expect(decisions.map((d) => d.effect)).toEqual(['allow', 'deny', 'deny']);
    expect(decisions[1]).toMatchObject({
      reasons: ['unusable answer from the PDP: decision must be a boolean'],
      errors: ['decision must be a boolean'],
      policyIds: [],
      engine: 'authzen',
    });
  });

  it('items the PDP did not answer are denied: stopped early (semantic) or answered short (execute_all)', () => {
    const short = readAll({ evaluations: [{ decision: true }] });
    expect(short.map((d) => d.effect)).toEqual(['allow', 'deny', 'deny']);
    expect(short[2]?.reasons).toEqual(['not evaluated: the PDP answered 1 of 3 evaluations']);
    expect(short[2]?.errors).toBeUndefined();
    const stopped = readAll({ evaluations: [{ decision: false }] }, 'deny_on_first_deny');
    expect(stopped.map((d) => d.reasons[0])).toEqual([
      undefined,
      'not evaluated: the batch stopped early (deny_on_first_deny)',
      'not evaluated: the batch stopped early (deny_on_first_deny)',
    ]);
  });

  it.each([
    ['no evaluations array', { decision: true }, 'evaluations must be an array'],
    ['more answers than requests', { evaluations: [{}, {}, {}, {}] }, '4 answers for 3 evaluations'],
  ])('%s: WRIT_PDP_UNAVAILABLE (invalid_response)', (_label, answer, problem) => {
    const error = thrown(() => readAll(answer));
    expect(error.message).toBe(`authzen: AuthZEN evaluations returned an unusable answer: ${problem}`);
    expect(error.details).toMatchObject({ reason: 'invalid_response', requestId: 'req-1', problem });
  });
});

describe('notEvaluated', () => {
  it('is a deny with the reason, no policy ids, and the error only when given', () => {
    expect(notEvaluated(request, 'id-1', 'why', 'authzen')).toEqual({
      effect: 'deny',
      policyIds: [],
      reasons: ['why'],
      decisionId: 'id-1',
      engine: 'authzen',
      evaluatedContext: request,
    });
    expect(notEvaluated(request, 'id-2', 'why', 'authzen', 'broken').errors).toEqual(['broken']);
  });
});

import type { AuthorizationRequest } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { rejection } from './__support__/rejection.js';
import { agentRequest } from './__support__/requests.js';
import { buildEvaluationsBody, toAuthZenRequest } from './authzen-request.js';
import type { AuthZenRequest } from './authzen-types.js';

const request = agentRequest('lookup_order', { type: 'Order', id: '42' });

describe('toAuthZenRequest: the Access Evaluation request sent for a Writ request', () => {
  it('is subject, action, resource and context as they are (AuthZEN 1.0 shapes)', async () => {
    const wire = await toAuthZenRequest(request, { name: 'authzen' });
    expect(wire).toEqual({
      subject: request.subject,
      action: request.action,
      resource: request.resource,
      context: request.context,
    });
    expect(wire.subject).toMatchObject({ type: 'Agent', id: 'spiffe://writ.test/agent/support' });
    expect(wire.action).toMatchObject({ name: 'lookup_order' });
    expect(wire.resource).toEqual({ type: 'Order', id: '42' });
  });

  it('is what an async mapRequest returns, extra members passing through', async () => {
    const wire = await toAuthZenRequest(request, {
      name: 'authzen',
      mapRequest: async (r: AuthorizationRequest) => ({
        subject: { type: 'user', id: r.subject.id, properties: { 'cerbos.roles': ['agent'] } },
        action: { name: r.action.name },
        resource: r.resource,
        vendor: { trace: true },
      }),
    });
    expect(wire).toEqual({
      subject: { type: 'user', id: request.subject.id, properties: { 'cerbos.roles': ['agent'] } },
      action: { name: 'lookup_order' },
      resource: { type: 'Order', id: '42' },
      vendor: { trace: true },
    });
  });

  it('a throwing mapRequest is WRIT_PDP_UNAVAILABLE (map_request_failed), the throw kept as cause', async () => {
    const cause = new Error('no roles for this agent');
    const error = await rejection(
      toAuthZenRequest(request, {
        name: 'pdp-eu',
        mapRequest: () => {
          throw cause;
        },
      }),
    );
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.message).toBe('pdp-eu: mapRequest failed');
    expect(error.details.reason).toBe('map_request_failed');
    expect(error.cause).toBe(cause);
  });

  it.each([
    [
      'no subject id',
      { subject: { type: 'user' }, action: { name: 'a' }, resource: { type: 'T', id: '1' } },
      'request.subject.id',
    ],
    [
      'an empty action name',
      { subject: { type: 'u', id: '1' }, action: { name: '' }, resource: { type: 'T', id: '1' } },
      'request.action.name',
    ],
    ['no resource', { subject: { type: 'u', id: '1' }, action: { name: 'a' } }, 'request.resource'],
    [
      'a context that is not an object',
      {
        subject: { type: 'u', id: '1' },
        action: { name: 'a' },
        resource: { type: 'T', id: '1' },
        context: 'x',
      },
      'request.context',
    ],
    [
      'properties that are not an object',
      {
        subject: { type: 'u', id: '1', properties: [1] },
        action: { name: 'a' },
        resource: { type: 'T', id: '1' },
      },
      'request.subject.properties',
    ],
    ['not an object', null, 'request:'],
  ])(
    'a mapped request with %s is WRIT_PDP_UNAVAILABLE (invalid_request) naming the member',
    async (_label, mapped, where) => {
      const error = await rejection(
        toAuthZenRequest(request, { name: 'authzen', mapRequest: () => mapped as never }),
      );
      expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
      expect(error.message).toBe('authzen: the request to send is not an AuthZEN request');
      expect(error.details.reason).toBe('invalid_request');
      expect((error.details.issues as string[]).some((issue) => issue.startsWith(where))).toBe(true);
    },
  );
});

const wire = (action: string, id: string, context?: Record<string, unknown>): AuthZenRequest => ({
  subject: { type: 'Agent', id: 'spiffe://writ.test/agent/support' },
  action: { name: action },
  resource: { type: 'Order', id },
  ...(context === undefined ? {} : { context }),
});

describe('buildEvaluationsBody: the Access Evaluations body of a batch', () => {
  it('sends what every request shares once, at the top level, and the rest per item, in order', () => {
    const body = buildEvaluationsBody(
      [wire('lookup_order', '42', { risk: 'low' }), wire('refund_order', '42', { risk: 'low' })],
      'deny_on_first_deny',
    );
    expect(body).toEqual({
      subject: { type: 'Agent', id: 'spiffe://writ.test/agent/support' },
      resource: { type: 'Order', id: '42' },
      context: { risk: 'low' },
      evaluations: [{ action: { name: 'lookup_order' } }, { action: { name: 'refund_order' } }],
      options: { evaluations_semantic: 'deny_on_first_deny' },
    });
  });

  it('keeps each item whole when nothing is shared, with the shared context members also at the top', () => {
    const a = wire('lookup_order', '1', { risk: 'low', 'cerbos.includeMeta': true, toolCallId: 'a' });
    const b: AuthZenRequest = {
      ...wire('refund_order', '2', { risk: 'high', 'cerbos.includeMeta': true, toolCallId: 'b' }),
      subject: { type: 'Agent', id: 'spiffe://writ.test/agent/billing' },
    };
    const body = buildEvaluationsBody([a, b], 'execute_all');
    expect(body.subject).toBeUndefined();
    expect(body.action).toBeUndefined();
    expect(body.resource).toBeUndefined();
    expect(body.context).toEqual({ 'cerbos.includeMeta': true });
    expect(body.evaluations).toEqual([a, b]);
    expect(body.options).toEqual({ evaluations_semantic: 'execute_all' });
  });

  it('compares by canonical JSON: member order does not matter', () => {
    const a = wire('x', '1', { scope: ['*'], risk: 'low' });
    const b = { ...wire('y', '1'), context: { risk: 'low', scope: ['*'] } };
    expect(buildEvaluationsBody([a, b], 'execute_all').context).toEqual({ scope: ['*'], risk: 'low' });
  });

  it('a batch of one hoists nothing', () => {
    const only = wire('lookup_order', '42', { risk: 'low' });
    const body = buildEvaluationsBody([only], 'permit_on_first_permit');
    expect(body).toEqual({
      context: { risk: 'low' },
      evaluations: [only],
      options: { evaluations_semantic: 'permit_on_first_permit' },
    });
  });
});

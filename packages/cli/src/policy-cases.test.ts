import { describe, expect, it } from 'vitest';
import { POLICY_CASE_DEFAULTS, parsePolicyCases, toAuthorizationRequest } from './policy-cases.js';

describe('toAuthorizationRequest', () => {
  it('fills the documented defaults around a tool name', () => {
    expect(toAuthorizationRequest({ action: { name: 'lookup_order' } })).toEqual({
      subject: {
        type: 'Agent',
        id: POLICY_CASE_DEFAULTS.agent,
        properties: {
          name: 'agent',
          assurance: 'verified',
          requester: null,
          chain: [{ kind: 'agent', id: POLICY_CASE_DEFAULTS.agent, name: 'agent', assurance: 'verified' }],
          chainDepth: 1,
          autonomous: true,
        },
      },
      action: {
        name: 'lookup_order',
        properties: {
          risk: 'low',
          toolType: 'function',
          permission: 'lookup_order',
          readOnly: false,
          destructive: true,
          idempotent: false,
          openWorld: true,
        },
      },
      resource: { type: 'Resource', id: 'unspecified' },
      context: {
        taskId: 'policy-test',
        correlationId: 'policy-test',
        scope: ['*'],
        inScope: true,
        risk: 'low',
        environment: 'test',
        chainDepth: 1,
        autonomous: true,
        argsDigest: POLICY_CASE_DEFAULTS.argsDigest,
      },
    });
  });

  it('derives inScope from scope and permission, autonomy from the requester, depth from the chain', () => {
    const request = toAuthorizationRequest({
      subject: {
        id: 'spiffe://corp/agent/billing',
        properties: {
          requester: { id: 'alice@example.com' },
          chain: [
            { id: 'spiffe://corp/agent/support' },
            { id: 'spiffe://corp/agent/billing', name: 'billing' },
          ],
        },
      },
      action: {
        name: 'refund_order',
        properties: { risk: 'high', permission: 'payments:refund', readOnly: true },
      },
      context: { scope: ['orders:*'], environment: 'production' },
    });
    expect(request.subject.properties).toMatchObject({
      name: 'billing',
      requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
      chainDepth: 2,
      autonomous: false,
    });
    expect(request.action.properties).toMatchObject({ destructive: false, readOnly: true });
    expect(request.context).toMatchObject({
      inScope: false,
      risk: 'high',
      chainDepth: 2,
      autonomous: false,
      environment: 'production',
    });
    expect(
      toAuthorizationRequest({
        action: { name: 'x', properties: { permission: 'orders:read' } },
        context: { scope: ['orders:*'] },
      }).context.inScope,
    ).toBe(true);
  });
});

describe('parsePolicyCases', () => {
  it('names the first bad path', () => {
    expect(() => parsePolicyCases([])).toThrow(/^cases: /);
    expect(() =>
      parsePolicyCases([{ name: 'a', request: { action: { name: 'x' } }, expect: 'maybe' }]),
    ).toThrow(/^cases\.0\.expect: /);
    expect(() =>
      parsePolicyCases([{ name: 'a', request: { action: { name: 'x' }, actor: {} }, expect: 'allow' }]),
    ).toThrow(/^cases\.0\.request: unknown key\(s\) "actor"$/);
    expect(
      parsePolicyCases([{ name: 'a', request: { action: { name: 'x' } }, expect: 'deny' }]),
    ).toHaveLength(1);
  });
});

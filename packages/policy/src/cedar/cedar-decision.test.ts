import type { AuthorizationRequest } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { authorizationRequest } from '../combinators/__support__/requests.js';
import { decideWithCedar } from './cedar-decision.js';
import { defaultPolicyPaths } from './cedar-engine.js';
import { loadCedarPolicySet } from './policy-set.js';

let n = 0;
const nextId = () => `cedar-decision-test-${++n}`;
const { schema } = defaultPolicyPaths();
const load = (text: string, schemaPath: string | false = schema) =>
  loadCedarPolicySet({ sources: { 'p.cedar': text }, paths: [], schemaPath, nextId });
const decide = (set: Awaited<ReturnType<typeof load>>, request: AuthorizationRequest, extra = {}) =>
  decideWithCedar(set, request, { engine: 'cedar', decisionId: 'd-1', ...extra });

const POLICIES = `@id("low-risk") permit (principal, action, resource) when { resource.risk == "low" };
@id("high-risk") @approval("required") @reason("high risk needs a human")
permit (principal, action, resource) when { resource.risk == "high" };
@id("no-refunds-on-42") @reason("order 42 is frozen")
forbid (principal, action, resource == Writ::Tool::"refund_order") when { context.target == Writ::Resource::"Order::42" };`;

describe('decideWithCedar (real Cedar)', () => {
  it('allows what a permit covers, with sorted policy ids, the request and the given id', async () => {
    const set = await load(POLICIES);
    const request = authorizationRequest();
    expect(decide(set, request)).toEqual({
      effect: 'allow',
      policyIds: ['p.cedar#low-risk'],
      reasons: [],
      decisionId: 'd-1',
      engine: 'cedar',
      evaluatedContext: request,
      policySetDigest: set.digest,
    });
    expect(set.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a permit annotated @approval("required") makes approval_required, its @reason the reason', async () => {
    const decision = decide(await load(POLICIES), authorizationRequest({ risk: 'high' }));
    expect(decision).toMatchObject({
      effect: 'approval_required',
      policyIds: ['p.cedar#high-risk'],
      reasons: ['high risk needs a human'],
    });
  });

  it('a permit annotated @approval("verified") asks a verified approver (the writ:verified-approver obligation)', async () => {
    const verified = `@id("high-risk") @approval("verified") permit (principal, action, resource) when { resource.risk == "high" };`;
    const decision = decide(await load(verified), authorizationRequest({ risk: 'high' }));
    expect(decision).toMatchObject({
      effect: 'approval_required',
      obligations: [{ id: 'writ:verified-approver' }],
    });
    // @approval("required") asks no such thing
    expect(decide(await load(POLICIES), authorizationRequest({ risk: 'high' }))).not.toHaveProperty(
      'obligations',
    );
  });

  it('refuses at load an @approval value it does not know (a typo would silently allow)', async () => {
    const typo = `@id("high-risk") @approval("requred") permit (principal, action, resource);`;
    await expect(load(typo)).rejects.toMatchObject({
      code: 'WRIT_POLICY_INVALID',
      message: /@approval\("requred"\)/,
    });
  });

  it('a forbid denies with its reason; nothing permitting is a default deny', async () => {
    const set = await load(POLICIES);
    expect(decide(set, authorizationRequest({ tool: 'refund_order' }))).toMatchObject({
      effect: 'deny',
      policyIds: ['p.cedar#no-refunds-on-42'],
      reasons: ['order 42 is frozen'],
    });
    const none = decide(
      await load('@id("never") permit (principal, action, resource) when { false };'),
      authorizationRequest(),
    );
    expect(none).toMatchObject({
      effect: 'deny',
      policyIds: [],
      reasons: ['no policy permits this call (Cedar denies by default)'],
    });
    expect(none.errors).toBeUndefined();
  });

  it('denies when a policy errors at evaluation, keeping the error (Cedar alone would skip it)', async () => {
    const set = await load(`@id("allow-all") permit (principal, action, resource);
@id("overflow") forbid (principal, action, resource) when { context.chainDepth * 9223372036854775807 > 0 };`);
    const base = authorizationRequest();
    const decision = decide(set, { ...base, context: { ...base.context, chainDepth: 2 } });
    expect(decision).toMatchObject({
      effect: 'deny',
      reasons: ['the policy evaluation failed; failing closed'],
    });
    expect(decide(set, { ...base, context: { ...base.context, chainDepth: 0 } }).effect).toBe('allow');
    expect(decision.errors?.[0]).toMatch(/^p\.cedar#overflow: .*overflow/i);
  });

  it('denies a request the schema refuses, and one whose mapping throws', async () => {
    const set = await load(POLICIES);
    const refused = decide(set, authorizationRequest(), { extendContext: () => ({ notInTheSchema: true }) });
    expect(refused.effect).toBe('deny');
    expect(refused.errors?.join(' ')).toMatch(/notInTheSchema/);
    const thrown = decide(set, authorizationRequest(), {
      extendContext: () => {
        throw new Error('tenant lookup failed');
      },
    });
    expect(thrown).toMatchObject({ effect: 'deny', errors: ['tenant lookup failed'] });
  });
});

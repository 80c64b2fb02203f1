import { WritError } from '@writ/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CerbosPdp, startCerbos } from './__support__/cerbos.js';
import { cerbosMapRequest, cerbosMapResponse } from './__support__/cerbos-mapping.js';
import { startDelayProxy } from './__support__/delay-proxy.js';
import { recordingFetch } from './__support__/recording-fetch.js';
import { agentRequest } from './__support__/requests.js';
import { discoverAuthZenPdp } from './authzen-discovery.js';
import { type AuthZenEngineOptions, createAuthZenEngine } from './authzen-engine.js';

let cerbos: CerbosPdp;
beforeAll(async () => {
  cerbos = await startCerbos();
});
afterAll(async () => {
  await cerbos?.close();
});

/** An engine for the running Cerbos with the Cerbos mapping a user would write. */
function cerbosEngine(extra: Partial<AuthZenEngineOptions> = {}) {
  const fetch = recordingFetch();
  const engine = createAuthZenEngine({
    pdp: cerbos.url,
    fetch,
    mapRequest: cerbosMapRequest,
    mapResponse: cerbosMapResponse,
    ...extra,
  });
  return { engine, fetch };
}

/** The rejection of `promise`, which must settle before a generous safety deadline. */
async function settledRejection(promise: Promise<unknown>, safetyMs = 10_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'unsettled'>((resolve) => {
    timer = setTimeout(() => resolve('unsettled'), safetyMs);
  });
  const outcome = await Promise.race([
    promise.then(
      () => 'resolved' as const,
      (error: unknown) => ({ error }),
    ),
    deadline,
  ]);
  clearTimeout(timer);
  expect(outcome).toHaveProperty('error');
  return (outcome as { error: unknown }).error;
}

const lookup = (id = '42', risk: 'low' | 'high' = 'low') =>
  agentRequest('lookup_order', { type: 'Order', id }, { risk });
const refund = (amount: number) =>
  agentRequest('refund_order', { type: 'Order', id: '42', properties: { amount } }, { risk: 'high' });
const deleteCustomer = () =>
  agentRequest('delete_customer', { type: 'Customer', id: 'c-7' }, { risk: 'medium' });

describe('discovery (real Cerbos PDP)', () => {
  it('reads the evaluation endpoints from /.well-known/authzen-configuration, once', async () => {
    const { engine, fetch } = cerbosEngine();
    const metadata = await engine.discover();
    expect(metadata.policyDecisionPoint).toBe(cerbos.url);
    expect(metadata.accessEvaluationEndpoint).toBe(`${cerbos.url}/access/v1/evaluation`);
    expect(metadata.accessEvaluationsEndpoint).toBe(`${cerbos.url}/access/v1/evaluations`);
    expect(Object.isFrozen(metadata.document)).toBe(true);
    await engine.decide(lookup());
    await engine.decide(lookup('43'));
    expect(fetch.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `GET ${cerbos.url}/.well-known/authzen-configuration`,
      `POST ${cerbos.url}/access/v1/evaluation`,
      `POST ${cerbos.url}/access/v1/evaluation`,
    ]);
  });

  it('discoverAuthZenPdp reads the same metadata on its own', async () => {
    const metadata = await discoverAuthZenPdp(cerbos.url, { timeoutMs: 2_000 });
    expect(metadata).toMatchObject({
      policyDecisionPoint: cerbos.url,
      accessEvaluationEndpoint: `${cerbos.url}/access/v1/evaluation`,
      document: { policy_decision_point: cerbos.url },
    });
    const error = await discoverAuthZenPdp('http://pdp.internal').catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
  });

  it('discovers again once the metadata cache expires', async () => {
    let now = 1_000_000;
    const { engine, fetch } = cerbosEngine({ clock: () => now, discoveryTtlMs: 60_000 });
    await engine.decide(lookup());
    now += 60_001;
    await engine.decide(lookup());
    expect(fetch.calls.filter((c) => c.method === 'GET')).toHaveLength(2);
  });

  it('refuses metadata whose policy_decision_point is not the configured pdp exactly: no evaluation is sent', async () => {
    const { engine, fetch } = cerbosEngine({ pdp: `${cerbos.url}/` });
    const error = await engine.decide(lookup()).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toMatchObject({
      reason: 'pdp_mismatch',
      policyDecisionPoint: cerbos.url,
    });
    expect(fetch.calls.map((c) => c.method)).toEqual(['GET']);
  });
});

describe('single evaluation (real Cerbos PDP)', () => {
  it('allows what the policy allows, keeping policy ids, reasons and the X-Request-ID as decision id', async () => {
    const { engine, fetch } = cerbosEngine();
    const request = lookup();
    const decision = await engine.decide(request);
    const sent = fetch.calls.at(-1);
    expect(sent?.url).toBe(`${cerbos.url}/access/v1/evaluation`);
    expect(sent?.headers.get('content-type')).toBe('application/json');
    expect(decision).toMatchObject({
      effect: 'allow',
      reasons: ['agents may look up orders'],
      engine: 'authzen',
      decisionId: sent?.headers.get('x-request-id'),
    });
    expect(decision.policyIds).toEqual([
      'resource.Order.vdefault',
      'resource.Order.vdefault#agents-look-up-low-risk',
    ]);
    expect(decision.evaluatedContext).toBe(request);
    expect(sent?.body).toMatchObject({
      subject: { type: 'Agent', id: request.subject.id, properties: { 'cerbos.roles': ['agent'] } },
      action: { name: 'lookup_order' },
      resource: { type: 'Order', id: '42', properties: { risk: 'low' } },
      context: { taskId: 'task-1', 'cerbos.includeMeta': true },
    });
  });

  it('denies on a request attribute (risk) with the reason Cerbos gives', async () => {
    const { engine } = cerbosEngine();
    const decision = await engine.decide(lookup('42', 'high'));
    expect(decision).toMatchObject({ effect: 'deny', reasons: ['high-risk order lookups are refused'] });
  });

  it('denies what the policy forbids', async () => {
    const { engine } = cerbosEngine();
    const decision = await engine.decide(deleteCustomer());
    expect(decision).toMatchObject({
      effect: 'deny',
      reasons: ['customers are never deleted by agents'],
      policyIds: ['resource.Customer.vdefault', 'resource.Customer.vdefault#agents-never-delete-customers'],
    });
  });

  it('maps a policy output asking for approval to approval_required (context.writ.approval_required)', async () => {
    const { engine } = cerbosEngine();
    expect(await engine.decide(refund(500))).toMatchObject({
      effect: 'approval_required',
      reasons: ['refunds over 100 need a manager'],
    });
    expect((await engine.decide(refund(50))).effect).toBe('allow');
  });

  it('without a mapping: the subject type is the only Cerbos role, so the agent is denied; the context is summarised', async () => {
    const fetch = recordingFetch();
    const engine = createAuthZenEngine({ pdp: cerbos.url, fetch });
    const plain = await engine.decide(lookup());
    expect(plain).toMatchObject({ effect: 'deny', policyIds: [], reasons: [] });
    expect(fetch.calls.at(-1)?.body).toMatchObject({
      subject: { type: 'Agent' },
      resource: { type: 'Order' },
    });

    const withMeta = createAuthZenEngine({
      pdp: cerbos.url,
      mapRequest: (r) => ({ ...cerbosMapRequest(r) }),
    });
    const summarised = await withMeta.decide(lookup());
    expect(summarised.effect).toBe('allow');
    expect(summarised.reasons).toHaveLength(1);
    expect(summarised.reasons[0]).toMatch(/^PDP context: \{"cerbos\.response":/);
    expect(summarised.reasons[0]?.length).toBeLessThanOrEqual(500);
  });
});

describe('batch evaluation (real Cerbos PDP)', () => {
  it('execute_all: one request, every decision in order, shared members sent once as defaults', async () => {
    const { engine, fetch } = cerbosEngine();
    const requests = [lookup('1'), deleteCustomer(), lookup('2', 'high'), refund(50)];
    const decisions = await engine.evaluateBatch(requests, { semantic: 'execute_all' });
    expect(decisions.map((d) => d.effect)).toEqual(['allow', 'deny', 'deny', 'allow']);
    expect(decisions.map((d) => d.reasons[0])).toEqual([
      'agents may look up orders',
      'customers are never deleted by agents',
      'high-risk order lookups are refused',
      'small refunds are allowed',
    ]);
    const posts = fetch.calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.url)).toEqual([`${cerbos.url}/access/v1/evaluations`]);
    const requestId = posts[0]?.headers.get('x-request-id');
    expect(decisions.map((d) => d.decisionId)).toEqual([0, 1, 2, 3].map((i) => `${requestId}#${i}`));
    decisions.forEach((d, i) => {
      expect(d.evaluatedContext).toBe(requests[i]);
    });
    const body = posts[0]?.body as Record<string, unknown>;
    expect(body.options).toEqual({ evaluations_semantic: 'execute_all' });
    expect(body.subject).toMatchObject({ id: 'spiffe://writ.test/agent/support' });
    expect(body.evaluations).toHaveLength(4);
    expect((body.evaluations as Record<string, unknown>[])[0]).not.toHaveProperty('subject');
  });

  it('deny_on_first_deny: Cerbos stops at the first deny; what it did not evaluate is denied', async () => {
    const { engine } = cerbosEngine();
    const decisions = await engine.evaluateBatch([lookup('1'), deleteCustomer(), lookup('2')], {
      semantic: 'deny_on_first_deny',
    });
    expect(decisions.map((d) => d.effect)).toEqual(['allow', 'deny', 'deny']);
    expect(decisions[1]?.reasons).toEqual(['customers are never deleted by agents']);
    expect(decisions[2]?.reasons).toEqual(['not evaluated: the batch stopped early (deny_on_first_deny)']);
  });

  it('permit_on_first_permit: Cerbos stops at the first permit', async () => {
    const { engine } = cerbosEngine();
    const decisions = await engine.evaluateBatch([deleteCustomer(), lookup('1'), lookup('2')], {
      semantic: 'permit_on_first_permit',
    });
    expect(decisions.map((d) => d.effect)).toEqual(['deny', 'allow', 'deny']);
    expect(decisions[2]?.reasons[0]).toContain('not evaluated');
  });

  it('an empty batch sends nothing', async () => {
    const { engine, fetch } = cerbosEngine();
    expect(await engine.evaluateBatch([])).toEqual([]);
    expect(fetch.calls).toEqual([]);
  });
});

describe('a slow or dead PDP fails closed (real Cerbos PDP)', () => {
  it('a PDP slower than timeoutMs: WRIT_PDP_UNAVAILABLE (timeout), and the call settles', async () => {
    const proxy = await startDelayProxy({ host: '127.0.0.1', port: cerbos.port }, { delayMs: 3_000 });
    try {
      const engine = createAuthZenEngine({
        pdp: proxy.url,
        endpoints: {},
        timeoutMs: 200,
        mapRequest: cerbosMapRequest,
      });
      const error = await settledRejection(engine.decide(lookup()));
      expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
      expect((error as WritError).details).toMatchObject({
        reason: 'timeout',
        endpoint: `${proxy.url}/access/v1/evaluation`,
      });
      expect((error as WritError).details.requestId).toEqual(expect.any(String));
      expect(proxy.connections()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it("the caller's signal aborts a slow evaluation with WRIT_ABORTED", async () => {
    const proxy = await startDelayProxy({ host: '127.0.0.1', port: cerbos.port }, { delayMs: 3_000 });
    try {
      const engine = createAuthZenEngine({ pdp: proxy.url, endpoints: {}, timeoutMs: 5_000 });
      const controller = new AbortController();
      const pending = engine.decide(lookup(), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const error = await settledRejection(pending);
      expect(WritError.isInstance(error, 'WRIT_ABORTED')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('a PDP killed mid-run: the next decision is WRIT_PDP_UNAVAILABLE, promptly', async () => {
    const victim = await startCerbos();
    try {
      const engine = createAuthZenEngine({
        pdp: victim.url,
        mapRequest: cerbosMapRequest,
        mapResponse: cerbosMapResponse,
      });
      expect((await engine.decide(lookup())).effect).toBe('allow');
      await victim.kill();
      const error = await settledRejection(engine.decide(lookup()), 5_000);
      expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
      expect((error as WritError).details).toMatchObject({ reason: 'network' });
      const batchError = await settledRejection(engine.evaluateBatch([lookup(), lookup('2')]), 5_000);
      expect(WritError.isInstance(batchError, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    } finally {
      await victim.close();
    }
  });
});

import { createWrit, WritError } from '@writ/core';
import { createInMemoryAuditSink } from '@writ/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authorizationRequest, NO_ABORT } from '../combinators/__support__/requests.js';
import { type OpaTestServer, PROVENANCE, startOpaServer } from './__support__/opa-data-api-server.js';
import { createOpaEngine, OPA_ENGINE_DEFAULTS } from './opa-engine.js';

let opa: OpaTestServer;
let quiet: OpaTestServer;
beforeAll(async () => {
  opa = await startOpaServer();
  quiet = await startOpaServer({ decisionLogging: false });
});
afterEach(() => {
  opa.setBehaviour({ kind: 'evaluate' });
});
afterAll(async () => {
  await opa.close();
  await quiet.close();
});

async function refusal(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}

const SERVER = '(server speaking the OPA Data API; no OPA binary here)';

describe(`createOpaEngine ${SERVER}`, () => {
  it('allows when the rule is true, posting the AuthorizationRequest as input', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow' });
    const request = authorizationRequest({ risk: 'low' });
    const decision = await engine.decide(request, NO_ABORT);
    expect(decision).toMatchObject({
      effect: 'allow',
      policyIds: ['writ/authz/allow'],
      reasons: [],
      engine: 'opa',
      evaluatedContext: request,
    });
    expect(engine.deterministic).toBe(false);
    const sent = opa.requests.at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('writ/authz/allow');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.body).toEqual({ input: JSON.parse(JSON.stringify(request)) });
  });

  it('denies when the rule is false, saying which document was false', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow' });
    const decision = await engine.decide(authorizationRequest({ risk: 'high' }), NO_ABORT);
    expect(decision.effect).toBe('deny');
    expect(decision.reasons).toEqual(['OPA document writ/authz/allow is false']);
    expect(decision.errors).toBeUndefined();
  });

  it('reads a package document: reasons, policy ids, approval_required and obligations; helper rules are ignored', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz' });
    const low = await engine.decide(authorizationRequest({ risk: 'low' }), NO_ABORT);
    expect(low).toMatchObject({ effect: 'allow', policyIds: ['writ.authz.low_risk'], reasons: [] });

    const high = await engine.decide(authorizationRequest({ risk: 'high', inScope: true }), NO_ABORT);
    expect(high).toMatchObject({
      effect: 'approval_required',
      policyIds: ['writ.authz.high_risk'],
      reasons: ['high-risk tools need a human approval'],
      obligations: [{ id: 'notify', attributes: { channel: '#payments' } }],
    });

    // approval_required never overrides allow: false.
    const outOfScope = await engine.decide(
      authorizationRequest({ tool: 'refund_order', risk: 'high', inScope: false }),
      NO_ABORT,
    );
    expect(outOfScope.effect).toBe('deny');
    expect(outOfScope.reasons).toEqual([
      'high-risk tools need a human approval',
      'refund_order is not allowed',
    ]);

    const medium = await engine.decide(authorizationRequest({ tool: 'wipe', risk: 'medium' }), NO_ABORT);
    expect(medium).toMatchObject({
      effect: 'deny',
      reasons: ['wipe is not allowed'],
      policyIds: ['writ/authz'],
    });
  });

  it('denies an undefined document (no result), explaining it in reasons and errors', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/nodefault/allow' });
    const decision = await engine.decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('deny');
    expect(decision.reasons[0]).toContain('OPA document writ/nodefault/allow is undefined');
    expect(decision.errors).toEqual([decision.reasons[0]]);
    expect(decision.decisionId).toBe(opa.decisionIds.at(-1));

    const typo = createOpaEngine({ url: opa.url, path: 'writ/authz/alow' });
    expect((await typo.decide(authorizationRequest(), NO_ABORT)).effect).toBe('deny');
  });

  it("keeps OPA's decision_id, and generates one when decision logging is off", async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow' });
    const decision = await engine.decide(authorizationRequest(), NO_ABORT);
    expect(decision.decisionId).toBe(opa.decisionIds.at(-1));

    let n = 0;
    const unlogged = createOpaEngine({
      url: quiet.url,
      path: 'writ/authz/allow',
      generateId: () => `generated-${++n}`,
    });
    expect((await unlogged.decide(authorizationRequest(), NO_ABORT)).decisionId).toBe('generated-1');
    expect((await unlogged.decide(authorizationRequest(), NO_ABORT)).decisionId).toBe('generated-2');
    expect(quiet.decisionIds).toEqual([]);
  });

  it('asks for provenance and records it as a reason', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow', provenance: true });
    const decision = await engine.decide(authorizationRequest({ risk: 'high' }), NO_ABORT);
    expect(opa.requests.at(-1)?.query.get('provenance')).toBe('true');
    const recorded = decision.reasons.find((r) => r.startsWith('provenance:'));
    expect(JSON.parse(recorded?.slice('provenance:'.length) ?? 'null')).toEqual(PROVENANCE);
    expect(decision.reasons[0]).toBe('OPA document writ/authz/allow is false');
  });

  it('sends what mapInput builds instead of the request', async () => {
    const engine = createOpaEngine({
      url: opa.url,
      path: 'writ/custom/allow',
      mapInput: (request) => ({ tool: request.action.name, agent: request.subject.id }),
    });
    const allowed = await engine.decide(authorizationRequest({ tool: 'lookup_order' }), NO_ABORT);
    expect(allowed.effect).toBe('allow');
    expect(opa.requests.at(-1)?.body).toEqual({
      input: { tool: 'lookup_order', agent: 'spiffe://writ.test/agent/support' },
    });
    expect((await engine.decide(authorizationRequest({ tool: 'delete' }), NO_ABORT)).effect).toBe('deny');
  });

  it('sends the configured headers and percent-encodes path segments', async () => {
    const engine = createOpaEngine({
      url: `${opa.url}/`,
      path: 'writ/odd name/allow',
      headers: { Authorization: 'Bearer opa-token' },
    });
    const decision = await engine.decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('deny');
    const sent = opa.requests.at(-1);
    expect(sent?.path).toBe('writ/odd name/allow');
    expect(sent?.headers.authorization).toBe('Bearer opa-token');
  });

  it('ignores metrics and usage warnings alongside the result', async () => {
    opa.setBehaviour({
      kind: 'raw',
      contentType: 'application/json',
      body: JSON.stringify({
        result: true,
        decision_id: 'd-metrics',
        metrics: { timer_rego_query_eval_ns: 1 },
        warning: { code: 'api_usage_warning', message: 'x' },
      }),
    });
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow' });
    expect(await engine.decide(authorizationRequest(), NO_ABORT)).toMatchObject({
      effect: 'allow',
      decisionId: 'd-metrics',
    });
  });
});

describe(`createOpaEngine faults ${SERVER}`, () => {
  it("refuses with WRIT_PDP_UNAVAILABLE on HTTP 500, keeping OPA's code and message", async () => {
    opa.setBehaviour({ kind: 'fail', status: 500, code: 'internal_error', message: 'storage: disk on fire' });
    const engine = createOpaEngine({
      url: opa.url,
      path: 'writ/authz/allow',
      headers: { authorization: 'Bearer opa-secret' },
    });
    const error = await refusal(engine.decide(authorizationRequest(), NO_ABORT));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.message).toContain('HTTP 500');
    expect(error.details).toMatchObject({
      reason: 'http_status',
      status: 500,
      opaCode: 'internal_error',
      opaMessage: 'storage: disk on fire',
      path: 'writ/authz/allow',
      endpoint: `${opa.url}/v1/data/writ/authz/allow`,
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('opa-secret');
  });

  it('refuses a 400 evaluation error and a 404 the same way', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow' });
    opa.setBehaviour({ kind: 'fail', status: 400, code: 'invalid_parameter', message: 'bad input' });
    expect((await refusal(engine.decide(authorizationRequest(), NO_ABORT))).details).toMatchObject({
      status: 400,
      opaCode: 'invalid_parameter',
    });
    opa.setBehaviour({ kind: 'raw', status: 404, body: 'not found' });
    expect((await refusal(engine.decide(authorizationRequest(), NO_ABORT))).details).toMatchObject({
      reason: 'http_status',
      status: 404,
    });
  });

  it('refuses with WRIT_PDP_UNAVAILABLE when OPA does not answer within timeoutMs', async () => {
    opa.setBehaviour({ kind: 'hang' });
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow', timeoutMs: 50 });
    const error = await refusal(engine.decide(authorizationRequest(), NO_ABORT));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'timeout' });
    expect(error.message).toContain('50 ms');
  });

  it.each([
    ['HTML', { kind: 'raw' as const, body: '<html>proxy error</html>' }],
    ['an empty body', { kind: 'raw' as const, body: '' }],
    ['a JSON array', { kind: 'raw' as const, body: '[true]', contentType: 'application/json' }],
    ['a numeric decision_id', { kind: 'raw' as const, body: '{"result":true,"decision_id":7}' }],
    ['a string result', { kind: 'raw' as const, body: '{"result":"allow"}' }],
    ['a null result', { kind: 'raw' as const, body: '{"result":null}' }],
    ['an object without allow', { kind: 'raw' as const, body: '{"result":{"permit":true}}' }],
    [
      'reasons that are not strings',
      { kind: 'raw' as const, body: '{"result":{"allow":true,"reasons":[1]}}' },
    ],
    [
      'a string approval_required',
      { kind: 'raw' as const, body: '{"result":{"allow":true,"approval_required":"yes"}}' },
    ],
  ])('refuses with WRIT_PDP_UNAVAILABLE when OPA answers %s', async (_label, behaviour) => {
    opa.setBehaviour(behaviour);
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow' });
    const error = await refusal(engine.decide(authorizationRequest(), NO_ABORT));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'invalid_response' });
  });

  it('refuses a result of another type (a rule answering a number)', async () => {
    const engine = createOpaEngine({ url: opa.url, path: 'writ/misconfigured/answer' });
    const error = await refusal(engine.decide(authorizationRequest(), NO_ABORT));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'invalid_response' });
    expect(error.message).toContain('result is number');
  });

  it('refuses an answer larger than maxResponseBytes', async () => {
    opa.setBehaviour({ kind: 'raw', body: JSON.stringify({ result: true, pad: 'x'.repeat(4096) }) });
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow', maxResponseBytes: 1024 });
    expect((await refusal(engine.decide(authorizationRequest(), NO_ABORT))).details).toMatchObject({
      reason: 'response_too_large',
    });
  });

  it('refuses with WRIT_PDP_UNAVAILABLE when nothing listens', async () => {
    const gone = await startOpaServer();
    await gone.close();
    const engine = createOpaEngine({ url: gone.url, path: 'writ/authz/allow' });
    const error = await refusal(engine.decide(authorizationRequest(), NO_ABORT));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'network' });
  });

  it('refuses when mapInput throws or returns nothing, without calling OPA', async () => {
    const before = opa.requests.length;
    const throwing = createOpaEngine({
      url: opa.url,
      path: 'writ/authz/allow',
      mapInput: () => {
        throw new Error('no tenant');
      },
    });
    const thrown = await refusal(throwing.decide(authorizationRequest(), NO_ABORT));
    expect(thrown.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(thrown.details).toMatchObject({ reason: 'invalid_input' });
    const empty = createOpaEngine({ url: opa.url, path: 'writ/authz/allow', mapInput: () => undefined });
    expect((await refusal(empty.decide(authorizationRequest(), NO_ABORT))).details).toMatchObject({
      reason: 'invalid_input',
    });
    const cyclic = createOpaEngine({
      url: opa.url,
      path: 'writ/authz/allow',
      mapInput: () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
    });
    expect((await refusal(cyclic.decide(authorizationRequest(), NO_ABORT))).details).toMatchObject({
      reason: 'invalid_input',
    });
    expect(opa.requests.length).toBe(before);
  });

  it("stops with WRIT_ABORTED when the caller's signal fires", async () => {
    opa.setBehaviour({ kind: 'hang' });
    const engine = createOpaEngine({ url: opa.url, path: 'writ/authz/allow', timeoutMs: 60_000 });
    const controller = new AbortController();
    const received = opa.nextRequest();
    const pending = engine.decide(authorizationRequest(), { signal: controller.signal });
    await received;
    controller.abort(new Error('user left'));
    expect((await refusal(pending)).code).toBe('WRIT_ABORTED');

    const before = opa.requests.length;
    const already = await refusal(engine.decide(authorizationRequest(), { signal: AbortSignal.abort() }));
    expect(already.code).toBe('WRIT_ABORTED');
    expect(opa.requests.length).toBe(before);
  });
});

describe('createOpaEngine options', () => {
  it.each([
    [{ url: 'http://opa.internal:8181', path: 'writ/authz' }, 'options.url'],
    [{ url: 'not a url', path: 'writ/authz' }, 'options.url'],
    [{ url: 'https://user:pw@opa.example.com', path: 'writ/authz' }, 'options.url'],
    [{ url: 'https://opa.example.com?x=1', path: 'writ/authz' }, 'options.url'],
    [{ url: 'https://opa.example.com', path: 'writ/../admin' }, 'options.path'],
    [{ url: 'https://opa.example.com', path: '/writ/authz' }, 'options.path'],
    [{ url: 'https://opa.example.com', path: '' }, 'options.path'],
    [{ url: 'https://opa.example.com', path: 'writ/\ud800' }, 'options.path'],
    [{ url: 'https://opa.example.com', path: 'writ', timeoutMs: 0 }, 'options.timeoutMs'],
    [{ url: 'https://opa.example.com', path: 'writ', headers: { 'bad header': 'x' } }, 'options.headers'],
    [{ url: 'https://opa.example.com', path: 'writ', colour: 'red' }, 'unknown option(s) "colour"'],
  ])('refuses %j naming %s', (options, named) => {
    let error: unknown;
    try {
      createOpaEngine(options as Parameters<typeof createOpaEngine>[0]);
    } catch (e) {
      error = e;
    }
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).message).toContain('createOpaEngine');
    expect((error as WritError).message).toContain(named);
  });

  it('accepts https anywhere, http on loopback, and http elsewhere only with allowInsecureHttp', () => {
    expect(createOpaEngine({ url: 'https://pdp.example.com/opa', path: 'writ/authz' }).name).toBe(
      OPA_ENGINE_DEFAULTS.name,
    );
    expect(createOpaEngine({ url: 'http://localhost:8181', path: 'writ/authz', name: 'sidecar' }).name).toBe(
      'sidecar',
    );
    expect(
      createOpaEngine({ url: 'http://opa.opa.svc:8181', path: 'writ/authz', allowInsecureHttp: true }).name,
    ).toBe('opa');
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      url: 'https://opa.example.com',
      path: 'writ/authz',
      headers: Object.freeze({ authorization: 'Bearer t' }),
    });
    expect(() => createOpaEngine(options)).not.toThrow();
    expect(options).toEqual({
      url: 'https://opa.example.com',
      path: 'writ/authz',
      headers: { authorization: 'Bearer t' },
    });
  });
});

describe(`OPA behind createWrit ${SERVER}`, () => {
  function setup(path: string) {
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      policy: createOpaEngine({ url: opa.url, path, provenance: true }),
      audit,
    });
    const executed: string[] = [];
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
      risk: 'low',
      execute: async ({ orderId }) => {
        executed.push(`lookup:${orderId}`);
        return { orderId };
      },
    });
    const deleteCustomer = writ.tool({
      name: 'delete_customer',
      input: z.object({ customerId: z.string() }),
      resource: ({ customerId }) => ({ type: 'Customer', id: customerId }),
      risk: 'high',
      execute: async ({ customerId }) => {
        executed.push(`delete:${customerId}`);
        return { deleted: true };
      },
    });
    return { writ, audit, executed, lookup, deleteCustomer };
  }

  it("never runs a denied tool, and records OPA's decision id, provenance and the judged input", async () => {
    const t = setup('writ/authz/allow');
    const error = await t.writ
      .task({ agent: 'support', intent: 'clean up' }, () => t.deleteCustomer.execute({ customerId: 'c-7' }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(t.executed).toEqual([]);
    const [record] = t.audit.ofKind('decision');
    expect(record?.decision).toMatchObject({
      effect: 'deny',
      engine: 'opa',
      policyIds: ['writ/authz/allow'],
    });
    expect(record?.decision.decisionId).toBe(opa.decisionIds.at(-1));
    expect(record?.decision.reasons.some((r) => r.startsWith('provenance:{'))).toBe(true);
    const sent = opa.requests.at(-1)?.body as { input: unknown } | undefined;
    expect(sent?.input).toEqual(record?.decision.evaluatedContext);
    expect(t.audit.ofKind('outcome')[0]?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_POLICY_DENIED',
    });
  });

  it('runs an allowed tool and keeps the decision id on its record', async () => {
    const t = setup('writ/authz/allow');
    const result = await t.writ.task({ agent: 'support' }, () => t.lookup.execute({ orderId: '42' }));
    expect(result).toEqual({ orderId: '42' });
    expect(t.executed).toEqual(['lookup:42']);
    expect(t.audit.ofKind('decision')[0]?.decision.decisionId).toBe(opa.decisionIds.at(-1));
  });

  it('fails closed when OPA is down: the tool never runs and the refusal is recorded', async () => {
    const t = setup('writ/authz/allow');
    opa.setBehaviour({ kind: 'fail' });
    const error = await t.writ
      .task({ agent: 'support' }, () => t.lookup.execute({ orderId: '42' }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect(t.executed).toEqual([]);
    const [record] = t.audit.ofKind('decision');
    expect(record?.decision.effect).toBe('deny');
    expect(record?.refusal).toMatchObject({
      code: 'WRIT_PDP_UNAVAILABLE',
      details: { opaCode: 'internal_error' },
    });
  });

  it('denies an undefined document through the pipeline', async () => {
    const t = setup('writ/nodefault/allow');
    const error = await t.writ
      .task({ agent: 'support' }, () => t.lookup.execute({ orderId: '42' }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(t.executed).toEqual([]);
    expect(t.audit.ofKind('decision')[0]?.decision.errors?.[0]).toContain('is undefined');
  });
});

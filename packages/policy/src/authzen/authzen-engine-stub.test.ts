import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordingFetch } from './__support__/recording-fetch.js';
import { agentRequest } from './__support__/requests.js';
import { type StubAnswer, type StubPdp, type StubRequest, startStubPdp } from './__support__/stub-pdp.js';
import { type AuthZenEngineOptions, createAuthZenEngine } from './authzen-engine.js';

let stub: StubPdp;
beforeAll(async () => {
  stub = await startStubPdp();
});
afterAll(() => stub.close());

const metadataOf = (url: string, extra: Record<string, unknown> = {}) => ({
  policy_decision_point: url,
  access_evaluation_endpoint: `${url}/access/v1/evaluation`,
  access_evaluations_endpoint: `${url}/access/v1/evaluations`,
  ...extra,
});

/** Serves metadata for the stub and answers evaluations with `evaluation`. */
function serve(evaluation: (request: StubRequest) => StubAnswer, metadata = metadataOf(stub.url)) {
  stub.requests.length = 0;
  stub.answer((request) =>
    request.path.startsWith('/.well-known/authzen-configuration') ? { body: metadata } : evaluation(request),
  );
}
afterEach(() => serve(() => ({ body: { decision: true } })));

const request = agentRequest('lookup_order', { type: 'Order', id: '42' });
const engineFor = (extra: Partial<AuthZenEngineOptions> = {}) =>
  createAuthZenEngine({ pdp: stub.url, ...extra });

async function rejection(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}

describe('createAuthZenEngine options', () => {
  it('is a non-deterministic PolicyEngine named authzen (or as configured)', async () => {
    const engine = engineFor();
    expect(engine.name).toBe('authzen');
    expect(engine.deterministic).toBe(false);
    serve(() => ({ body: { decision: true } }));
    const named = engineFor({ name: 'pdp-eu' });
    expect(named.name).toBe('pdp-eu');
    expect((await named.decide(request)).engine).toBe('pdp-eu');
  });

  it.each([
    [{}, 'options.pdp'],
    [{ pdp: 'not a url' }, 'options.pdp: must be an absolute URL'],
    [{ pdp: 'http://pdp.internal:3592' }, 'options.pdp: must use https'],
    [{ pdp: 'https://pdp.example.com?tenant=1' }, 'options.pdp: must not contain a query'],
    [{ pdp: 'https://user:pw@pdp.example.com' }, 'options.pdp: must not contain user info'],
    [
      { pdp: 'https://pdp.example.com', endpoints: { evaluation: 'http://other.example.com/e' } },
      'options.endpoints.evaluation',
    ],
    [{ pdp: 'https://pdp.example.com', timeoutMs: 0 }, 'options.timeoutMs'],
    [{ pdp: 'https://pdp.example.com', headers: { 'bad header': 'x' } }, 'options.headers'],
    [{ pdp: 'https://pdp.example.com', colour: 'blue' }, 'unknown option(s) "colour"'],
  ])('refuses %j naming the option', (options, message) => {
    let error: unknown;
    try {
      createAuthZenEngine(options as AuthZenEngineOptions);
    } catch (e) {
      error = e;
    }
    expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
    expect((error as WritError).message).toContain('createAuthZenEngine');
    expect((error as WritError).message).toContain(message);
  });

  it('accepts plain http to a non-loopback PDP only with allowInsecureHttp', () => {
    expect(() =>
      createAuthZenEngine({ pdp: 'http://pdp.internal:3592', allowInsecureHttp: true }),
    ).not.toThrow();
  });

  it("never mutates the caller's options", async () => {
    const options = Object.freeze({
      pdp: stub.url,
      endpoints: Object.freeze({ evaluation: `${stub.url}/access/v1/evaluation` }),
      headers: Object.freeze({ authorization: 'Bearer t0ken-value' }),
    });
    const before = JSON.stringify(options);
    const engine = createAuthZenEngine(options);
    await engine.decide(request);
    expect(JSON.stringify(options)).toBe(before);
  });

  it('with endpoints, skips discovery; a missing endpoint defaults to its standard path', async () => {
    const fetch = recordingFetch();
    const engine = engineFor({ endpoints: { evaluation: `${stub.url}/custom/evaluate` }, fetch });
    const metadata = await engine.discover();
    expect(metadata).toMatchObject({
      policyDecisionPoint: stub.url,
      accessEvaluationEndpoint: `${stub.url}/custom/evaluate`,
      accessEvaluationsEndpoint: `${stub.url}/access/v1/evaluations`,
    });
    await engine.decide(request);
    expect(fetch.calls.map((c) => c.url)).toEqual([`${stub.url}/custom/evaluate`]);
  });
});

describe('discovery faults (stub PDP)', () => {
  it('inserts the well-known suffix between host and path for a PDP with a path', async () => {
    serve(() => ({ body: { decision: true } }), metadataOf(`${stub.url}/tenant1`));
    await engineFor({ pdp: `${stub.url}/tenant1` }).decide(request);
    expect(stub.requests[0]?.path).toBe('/.well-known/authzen-configuration/tenant1');
  });

  it.each([
    ['a 404', 'http_status', { status: 404, body: 'not found' }],
    ['no evaluation endpoint', 'invalid_metadata', { body: { policy_decision_point: 'SELF' } }],
    ['another PDP', 'pdp_mismatch', { body: metadataOf('https://evil.example.com') }],
    [
      'plain http endpoints on another host',
      'invalid_metadata',
      { body: { policy_decision_point: 'SELF', access_evaluation_endpoint: 'http://evil.example.com/e' } },
    ],
    ['garbage', 'invalid_metadata', { body: '<html>' }],
  ])('%s: WRIT_PDP_UNAVAILABLE (%s), no evaluation sent', async (_label, reason, answer) => {
    stub.requests.length = 0;
    stub.answer(() =>
      typeof answer.body === 'object' && answer.body.policy_decision_point === 'SELF'
        ? { ...answer, body: { ...answer.body, policy_decision_point: stub.url } }
        : answer,
    );
    const error = await rejection(engineFor().decide(request));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details.reason).toBe(reason);
    expect(stub.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('shares one discovery between concurrent calls and retries after a failed one', async () => {
    let fail = true;
    stub.requests.length = 0;
    stub.answer((r) =>
      r.path.startsWith('/.well-known')
        ? fail
          ? { status: 503, body: 'starting' }
          : { body: metadataOf(stub.url) }
        : { body: { decision: true } },
    );
    const engine = engineFor();
    await rejection(engine.decide(request));
    fail = false;
    await Promise.all([engine.decide(request), engine.decide(request), engine.decide(request)]);
    expect(stub.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  });
});

describe('evaluation faults fail closed (stub PDP)', () => {
  it.each([
    [
      'HTTP 500 with a JSON error',
      'http_status',
      { status: 500, body: { message: 'policy store unavailable' } },
    ],
    ['HTTP 400 with text', 'http_status', { status: 400, body: 'bad request' }],
    [
      'a redirect (not followed)',
      'http_status',
      { status: 302, headers: { location: 'https://evil.example.com' } },
    ],
    ['a non-JSON body', 'invalid_json', { body: 'decision: yes' }],
    ['an empty body', 'empty_body', {}],
    ['a JSON array', 'invalid_response', { body: [true] }],
    ['a string decision', 'invalid_response', { body: { decision: 'true' } }],
    ['no decision', 'invalid_response', { body: { context: { reason: 'ok' } } }],
    ['a context that is not an object', 'invalid_response', { body: { decision: true, context: 'fine' } }],
    [
      'a malformed writ convention',
      'invalid_response',
      { body: { decision: true, context: { writ: { approval_required: 'no' } } } },
    ],
  ])('%s: WRIT_PDP_UNAVAILABLE (%s)', async (_label, reason, answer: StubAnswer) => {
    serve(() => answer);
    const error = await rejection(engineFor({ generateId: () => 'req-1' }).decide(request));
    expect(error.code).toBe('WRIT_PDP_UNAVAILABLE');
    expect(error.details).toMatchObject({
      reason,
      requestId: 'req-1',
      endpoint: `${stub.url}/access/v1/evaluation`,
    });
  });

  it('keeps the status and a short PDP message in the details', async () => {
    serve(() => ({ status: 500, body: { message: 'policy store unavailable' } }));
    const error = await rejection(engineFor().decide(request));
    expect(error.details).toMatchObject({ status: 500, pdpMessage: 'policy store unavailable' });
    expect(error.message).toContain('HTTP 500');
  });

  it('refuses an answer larger than maxResponseBytes', async () => {
    serve(() => ({ body: { decision: true, context: { reason: 'x'.repeat(5000) } } }));
    const error = await rejection(engineFor({ maxResponseBytes: 1024 }).decide(request));
    expect(error.details.reason).toBe('response_too_large');
  });

  it('a refused connection is WRIT_PDP_UNAVAILABLE (network)', async () => {
    const engine = createAuthZenEngine({ pdp: 'http://127.0.0.1:1', endpoints: {} });
    const error = await rejection(engine.decide(request));
    expect(error).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'network' } });
  });

  it('an already aborted signal: WRIT_ABORTED, nothing sent', async () => {
    const fetch = recordingFetch();
    const engine = engineFor({ endpoints: {}, fetch });
    const error = await rejection(engine.decide(request, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('WRIT_ABORTED');
    expect(fetch.calls).toEqual([]);
  });
});

describe('PDP credentials (stub PDP)', () => {
  it('sends the headers to discovery and evaluation but never puts them in errors', async () => {
    const token = 'Bearer sk-live-0123456789abcdef';
    serve(() => ({ status: 401, body: { message: 'token sk-live-0123456789abcdef is not valid' } }));
    const error = await rejection(engineFor({ headers: { authorization: token } }).decide(request));
    expect(stub.requests.map((r) => r.headers.authorization)).toEqual([token, token]);
    const visible = JSON.stringify({ message: error.message, details: error.details, json: error.toJSON() });
    expect(visible).not.toContain('sk-live-0123456789abcdef');
    expect(error.details.pdpMessage).toBe('token [redacted] is not valid');
  });

  it('calls a headers function before every request (rotating tokens)', async () => {
    let n = 0;
    serve(() => ({ body: { decision: true } }));
    const engine = engineFor({ headers: async () => ({ authorization: `Bearer token-${++n}` }) });
    await engine.decide(request);
    await engine.decide(request);
    expect(stub.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3',
    ]);
  });

  it('a failing headers function is WRIT_PDP_UNAVAILABLE (headers_failed)', async () => {
    const engine = engineFor({
      endpoints: {},
      headers: () => {
        throw new Error('vault sealed');
      },
    });
    const error = await rejection(engine.decide(request));
    expect(error).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'headers_failed' } });
  });
});

describe('request and decision ids (stub PDP)', () => {
  it('the X-Request-ID sent is the decision id, even if the PDP echoes another', async () => {
    serve(() => ({ headers: { 'x-request-id': 'something-else' }, body: { decision: false } }));
    const decision = await engineFor({ generateId: () => 'req-42' }).decide(request);
    expect(stub.requests.at(-1)?.headers['x-request-id']).toBe('req-42');
    expect(decision).toMatchObject({ decisionId: 'req-42', effect: 'deny', policyIds: [], reasons: [] });
  });

  it('user headers cannot replace the content type or request id', async () => {
    serve(() => ({ body: { decision: true } }));
    await engineFor({
      generateId: () => 'req-7',
      headers: { 'Content-Type': 'text/plain', 'X-Request-ID': 'forged' },
    }).decide(request);
    expect(stub.requests.at(-1)?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': 'req-7',
    });
  });
});

describe('what Writ reads from the response context (stub PDP)', () => {
  const answer = (body: unknown, extra: Partial<AuthZenEngineOptions> = {}) => {
    serve(() => ({ body }));
    return engineFor(extra).decide(request);
  };

  it('keeps reason, reasons and reason_user; reason_admin only when asked', async () => {
    const context = {
      reason: 'outside business hours',
      reasons: ['second', { id: '1', reason_user: { en: 'third' }, reason_admin: { en: 'rule 7' } }],
      reason_user: { '403': 'Insufficient privileges' },
      reason_admin: { '403': 'Request failed policy C076E82F' },
      policy_id: 'hours',
      policy_ids: ['hours', 'tier-2'],
    };
    const user = await answer({ decision: false, context });
    expect(user).toMatchObject({
      effect: 'deny',
      policyIds: ['hours', 'tier-2'],
      reasons: ['outside business hours', 'second', 'third', 'Insufficient privileges'],
    });
    const admin = await answer({ decision: false, context }, { includeAdminReasons: true });
    expect(admin.reasons).toEqual([
      'outside business hours',
      'second',
      'third',
      '[admin] rule 7',
      'Insufficient privileges',
      '[admin] Request failed policy C076E82F',
    ]);
  });

  it('summarises an unknown context as JSON, leaving reason_admin out', async () => {
    const decision = await answer({
      decision: true,
      context: { acr_values: 'urn:example:loa:3', reason_admin: { en: 'secret rule' } },
    });
    expect(decision.reasons).toEqual(['PDP context: {"acr_values":"urn:example:loa:3"}']);
  });

  it('context.writ.approval_required asks for approval, whatever the boolean says', async () => {
    for (const verdict of [true, false]) {
      const decision = await answer({ decision: verdict, context: { writ: { approval_required: true } } });
      expect(decision.effect).toBe('approval_required');
    }
    expect((await answer({ decision: true, context: { writ: { approval_required: false } } })).effect).toBe(
      'allow',
    );
  });

  it('keeps obligations from context.writ.obligations', async () => {
    const decision = await answer({
      decision: true,
      context: {
        writ: { obligations: [{ id: 'log-access', attributes: { level: 'high' } }, { id: 'notify' }] },
      },
    });
    expect(decision.obligations).toEqual([
      { id: 'log-access', attributes: { level: 'high' } },
      { id: 'notify' },
    ]);
  });

  it('a context.error is a deny carrying the error, even with decision true', async () => {
    const decision = await answer({
      decision: true,
      context: { error: { status: 404, message: 'Resource not found' } },
    });
    expect(decision).toMatchObject({
      effect: 'deny',
      errors: ['PDP reported an error (404): Resource not found'],
      reasons: ['PDP reported an error (404): Resource not found'],
    });
  });

  it('bounds what a context adds to the record', async () => {
    const decision = await answer({
      decision: false,
      context: { reasons: Array.from({ length: 100 }, (_, i) => `${i}:${'r'.repeat(2000)}`) },
    });
    expect(decision.reasons).toHaveLength(32);
    expect(Math.max(...decision.reasons.map((r) => r.length))).toBeLessThanOrEqual(1000);
  });
});

describe('mapRequest and mapResponse (stub PDP)', () => {
  it('sends what an async mapRequest returns and reads what mapResponse returns', async () => {
    serve(() => ({ body: { decision: false, context: { vendor: { why: 'no role' } } } }));
    const engine = engineFor({
      mapRequest: async (r) => ({
        subject: { type: 'user', id: r.subject.id, properties: { roles: ['agent'] } },
        action: { name: r.action.name },
        resource: r.resource,
      }),
      mapResponse: (response) => {
        const vendor = response.context?.vendor as { why: string };
        return { decision: response.decision, context: { reason: vendor.why, policy_id: 'vendor-policy' } };
      },
    });
    const decision = await engine.decide(request);
    expect(stub.requests.at(-1)?.json).toEqual({
      subject: { type: 'user', id: request.subject.id, properties: { roles: ['agent'] } },
      action: { name: 'lookup_order' },
      resource: { type: 'Order', id: '42' },
    });
    expect(decision).toMatchObject({ effect: 'deny', reasons: ['no role'], policyIds: ['vendor-policy'] });
    expect(decision.evaluatedContext).toBe(request);
  });

  it('a mapRequest that throws or returns no AuthZEN request: WRIT_PDP_UNAVAILABLE, nothing sent', async () => {
    stub.requests.length = 0;
    const throwing = engineFor({
      mapRequest: () => {
        throw new Error('no roles for this agent');
      },
    });
    expect((await rejection(throwing.decide(request))).details.reason).toBe('map_request_failed');
    const garbage = engineFor({ mapRequest: () => ({ subject: { id: 'x' } }) as never });
    expect((await rejection(garbage.decide(request))).details.reason).toBe('invalid_request');
    expect(stub.requests).toEqual([]);
  });

  it('a mapResponse that throws: WRIT_PDP_UNAVAILABLE', async () => {
    serve(() => ({ body: { decision: true } }));
    const engine = engineFor({
      mapResponse: () => {
        throw new Error('unexpected vendor format');
      },
    });
    const error = await rejection(engine.decide(request));
    expect(error.details).toMatchObject({ reason: 'invalid_response' });
    expect(error.message).toContain('unexpected vendor format');
  });
});

describe('evaluateBatch faults (stub PDP)', () => {
  const requests = [request, agentRequest('refund_order', { type: 'Order', id: '42' }), request];

  it('an item the PDP answered badly is denied with the error; the others stand', async () => {
    serve(() => ({
      body: { evaluations: [{ decision: true }, { decision: 'maybe' }, { decision: false }] },
    }));
    const decisions = await engineFor({ generateId: () => 'batch-1' }).evaluateBatch(requests);
    expect(decisions.map((d) => [d.effect, d.decisionId])).toEqual([
      ['allow', 'batch-1#0'],
      ['deny', 'batch-1#1'],
      ['deny', 'batch-1#2'],
    ]);
    expect(decisions[1]?.errors).toEqual(['decision must be a boolean']);
  });

  it('execute_all answered short: the missing items are denied', async () => {
    serve(() => ({ body: { evaluations: [{ decision: true }] } }));
    const decisions = await engineFor().evaluateBatch(requests);
    expect(decisions.map((d) => d.effect)).toEqual(['allow', 'deny', 'deny']);
    expect(decisions[2]?.reasons).toEqual(['not evaluated: the PDP answered 1 of 3 evaluations']);
  });

  it.each([
    ['no evaluations array', { decision: true }],
    [
      'more answers than requests',
      { evaluations: [{ decision: true }, { decision: true }, { decision: true }, { decision: true }] },
    ],
  ])('%s: WRIT_PDP_UNAVAILABLE', async (_label, body) => {
    serve(() => ({ body }));
    const error = await rejection(engineFor().evaluateBatch(requests));
    expect(error).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'invalid_response' } });
  });

  it('without a batch endpoint, evaluates one at a time and honours the semantic', async () => {
    const { access_evaluations_endpoint: _omitted, ...single } = metadataOf(stub.url);
    serve(
      (r) => ({
        body: { decision: (r.json as { action: { name: string } }).action.name === 'lookup_order' },
      }),
      single as ReturnType<typeof metadataOf>,
    );
    const decisions = await engineFor().evaluateBatch(requests, { semantic: 'deny_on_first_deny' });
    expect(decisions.map((d) => d.effect)).toEqual(['allow', 'deny', 'deny']);
    expect(decisions[2]?.reasons).toEqual(['not evaluated: the batch stopped early (deny_on_first_deny)']);
    expect(stub.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/access/v1/evaluation',
      '/access/v1/evaluation',
    ]);
  });

  it('refuses an unknown semantic', async () => {
    const error = await rejection(engineFor().evaluateBatch(requests, { semantic: 'first_wins' as never }));
    expect(error.code).toBe('WRIT_OPTIONS_INVALID');
    expect(error.message).toContain('evaluateBatch: options.semantic');
  });
});

describe('an injected fetch (stub fetch)', () => {
  it('is used for every request', async () => {
    const seen: string[] = [];
    const fetch: FetchLike = async (url) => {
      seen.push(url);
      return new Response(JSON.stringify({ decision: true }), {
        headers: { 'content-type': 'application/json' },
      });
    };
    const engine = createAuthZenEngine({ pdp: 'https://pdp.example.com', endpoints: {}, fetch });
    expect((await engine.decide(request)).effect).toBe('allow');
    expect(seen).toEqual(['https://pdp.example.com/access/v1/evaluation']);
  });
});

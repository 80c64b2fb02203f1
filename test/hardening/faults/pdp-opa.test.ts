// Issue 9 item 2, OPA: the OPA engine of @writ/policy against a loopback node:http server speaking the OPA
// Data API (there is no OPA binary here; the server is packages/policy's OPA test server), behind a
// zero-config Writ with its strict file log. Every fault: deny, tool never run, fault recorded, log verifies.
import { createOpaEngine } from '@writ/policy';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../packages/policy/src/authzen/__support__/cerbos.js';
import {
  type OpaServerBehaviour,
  type OpaTestServer,
  startOpaServer,
} from '../../../packages/policy/src/opa/__support__/opa-data-api-server.js';
import { expectFailedClosed, expectRan, type Harness, startHarness } from './support.js';

const SERVER = '(loopback node:http server speaking the OPA Data API; no OPA binary here)';
const POLICY_MS = 300;

let opa: OpaTestServer;
const harnesses: Harness[] = [];
beforeAll(async () => {
  opa = await startOpaServer();
});
afterEach(async () => {
  opa.setBehaviour({ kind: 'evaluate' });
  for (const h of harnesses.splice(0)) await h.dispose();
});
afterAll(async () => {
  await opa?.close();
});

async function opaWrit(options: { url?: string; path?: string; timeoutMs?: number } = {}): Promise<Harness> {
  const policy = createOpaEngine({
    url: options.url ?? opa.url,
    path: options.path ?? 'writ/authz/allow',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const h = await startHarness({ policy, timeouts: { policyMs: POLICY_MS } });
  harnesses.push(h);
  return h;
}

let n = 0;
const nextOrder = (what: string) => `opa-${what}-${++n}`;

describe(`OPA engine faults behind zero-config createWrit ${SERVER}`, () => {
  it('baseline: the rule allows the low-risk read and the tool runs', async () => {
    const h = await opaWrit();
    const orderId = nextOrder('ok');
    await expectRan(h, orderId, await h.call(orderId));
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  const json = 'application/json';
  it.each<[string, OpaServerBehaviour, RegExp, string]>([
    ['HTTP 500 (OPA internal_error)', { kind: 'fail' }, /answered HTTP 500: internal_error/, 'http_status'],
    [
      'HTTP 400 evaluation error (eval_conflict_error)',
      {
        kind: 'fail',
        status: 400,
        code: 'internal_error',
        message: 'eval_conflict_error: complete rules must not produce multiple outputs',
      },
      /answered HTTP 400: .*eval_conflict_error/,
      'http_status',
    ],
    [
      'HTTP 503 with an HTML body (a load balancer)',
      { kind: 'raw', status: 503, body: '<h1>503</h1>' },
      /answered HTTP 503/,
      'http_status',
    ],
    [
      'garbage body (HTML with status 200)',
      { kind: 'raw', body: '<html>ok</html>' },
      /not JSON/,
      'invalid_response',
    ],
    [
      'garbage body (binary bytes labelled JSON)',
      { kind: 'raw', body: '\u0000\u00ff{{}', contentType: json },
      /not JSON/,
      'invalid_response',
    ],
    [
      'truncated JSON',
      { kind: 'raw', body: '{"result": tr', contentType: json },
      /not JSON/,
      'invalid_response',
    ],
    ['empty body', { kind: 'raw', body: '', contentType: json }, /body is empty/, 'invalid_response'],
    [
      'result of another type (a string)',
      { kind: 'raw', body: '{"result":"allow"}', contentType: json },
      /result is string/,
      'invalid_response',
    ],
    [
      'result null',
      { kind: 'raw', body: '{"result":null}', contentType: json },
      /result is null/,
      'invalid_response',
    ],
    [
      'a top-level array',
      { kind: 'raw', body: '[{"result":true}]', contentType: json },
      /body is array/,
      'invalid_response',
    ],
    [
      'a malformed decision document (allow: "yes")',
      { kind: 'raw', body: '{"result":{"allow":"yes"}}', contentType: json },
      /does not have the documented shape \(allow: /,
      'invalid_response',
    ],
  ])('%s: WRIT_PDP_UNAVAILABLE', async (name, behaviour, fault, reason) => {
    const h = await opaWrit({ path: name.startsWith('a malformed') ? 'writ/authz' : 'writ/authz/allow' });
    opa.setBehaviour(behaviour);
    const orderId = nextOrder('fault');
    const decision = await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'opa',
      fault,
    });
    expect(decision.refusal?.details).toMatchObject({ reason });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it('undefined result (the server answers {}): WRIT_POLICY_DENIED, the undefined document recorded as an error', async () => {
    const h = await opaWrit();
    opa.setBehaviour({ kind: 'raw', body: '{}', contentType: json });
    const orderId = nextOrder('empty-object');
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_POLICY_DENIED',
      engine: 'opa',
      fault: 'OPA document writ/authz/allow is undefined',
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it('undefined result from evaluation (a rule with no default that does not match): WRIT_POLICY_DENIED', async () => {
    const h = await opaWrit({ path: 'writ/nodefault/allow' });
    const orderId = nextOrder('nodefault');
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_POLICY_DENIED',
      engine: 'opa',
      fault: 'OPA document writ/nodefault/allow is undefined',
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it('a rule answering a number (misconfigured path): WRIT_PDP_UNAVAILABLE', async () => {
    const h = await opaWrit({ path: 'writ/misconfigured/answer' });
    const orderId = nextOrder('number');
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'opa',
      fault: /result is number/,
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it(`slow: OPA never answers; denied once timeouts.policyMs (${POLICY_MS} ms) passes`, async () => {
    const h = await opaWrit({ timeoutMs: 10_000 });
    opa.setBehaviour({ kind: 'hang' });
    const orderId = nextOrder('hang');
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'opa',
      fault: `policy engine "opa" did not answer within ${POLICY_MS} ms`,
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it("slow: OPA never answers; denied once the engine's own timeoutMs (100 ms) passes", async () => {
    const h = await opaWrit({ timeoutMs: 100 });
    opa.setBehaviour({ kind: 'hang' });
    const orderId = nextOrder('engine-timeout');
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'opa',
      fault: 'OPA Data API did not answer within 100 ms',
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it('down: nothing listens on the configured port (connection refused)', async () => {
    const port = await freePort();
    const h = await opaWrit({ url: `http://127.0.0.1:${port}` });
    const orderId = nextOrder('refused');
    const decision = await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'opa',
      fault: /could not be reached/,
    });
    expect(decision.refusal?.details).toMatchObject({ reason: 'network' });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it('down mid-run: the server goes away between two calls of one task', async () => {
    const own = await startOpaServer();
    const h = await opaWrit({ url: own.url });
    const [before, after] = [nextOrder('before-down'), nextOrder('after-down')];
    const outcomes = await h.task(async () => {
      const first = await h.callInTask(before);
      await own.close();
      return [first, await h.callInTask(after)] as const;
    });
    await expectRan(h, before, outcomes[0]);
    await expectFailedClosed(h, after, outcomes[1], {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'opa',
      fault: /could not be reached/,
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });
});

// Issue 9 item 2, AuthZEN: the AuthZEN engine of @writ/policy against a REAL Cerbos PDP (npm
// @cerbos/cerbos-linux-x64, CERBOS_NO_TELEMETRY=1), behind a zero-config Writ with its strict file log.
// Faults Cerbos will not produce on its own (500s, garbage, malformed decisions, cut connections) are
// injected by an HTTP proxy between the engine and Cerbos, after Cerbos has evaluated the request.
import { createAuthZenEngine } from '@writ/policy';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WritError } from 'writ';
import { z } from 'zod';
import {
  type CerbosPdp,
  freePort,
  startCerbos,
} from '../../../packages/policy/src/authzen/__support__/cerbos.js';
import {
  cerbosMapRequest,
  cerbosMapResponse,
} from '../../../packages/policy/src/authzen/__support__/cerbos-mapping.js';
import { startDelayProxy } from '../../../packages/policy/src/authzen/__support__/delay-proxy.js';
import {
  expectEveryRunRecorded,
  expectFailedClosed,
  expectRan,
  type FaultProxy,
  type Harness,
  type ProxyFault,
  startFaultProxy,
  startHarness,
} from './support.js';

const POLICY_MS = 300;

let cerbos: CerbosPdp;
let proxy: FaultProxy;
const harnesses: Harness[] = [];
beforeAll(async () => {
  cerbos = await startCerbos();
  proxy = await startFaultProxy(cerbos.url);
});
afterEach(async () => {
  proxy.set({ kind: 'pass' });
  for (const h of harnesses.splice(0)) await h.dispose();
});
afterAll(async () => {
  await proxy?.close();
  await cerbos?.close();
});

/** A zero-config Writ deciding with Cerbos through `pdp` (the user's Cerbos mapping, as in packages/policy). */
async function authzenWrit(pdp: string, options: { discover?: boolean } = {}): Promise<Harness> {
  const policy = createAuthZenEngine({
    pdp,
    ...(options.discover === true ? {} : { endpoints: {} }),
    mapRequest: cerbosMapRequest,
    mapResponse: cerbosMapResponse,
  });
  const h = await startHarness({ policy, timeouts: { policyMs: POLICY_MS } });
  harnesses.push(h);
  return h;
}

let n = 0;
const nextOrder = (what: string) => `authzen-${what}-${++n}`;

describe('AuthZEN engine faults behind zero-config createWrit (real Cerbos PDP)', () => {
  it('baseline: Cerbos allows the low-risk lookup, directly (with discovery) and through the proxy', async () => {
    const direct = await authzenWrit(cerbos.url, { discover: true });
    const orderId = nextOrder('direct');
    await expectRan(direct, orderId, await direct.call(orderId));
    expect((await direct.closeAndVerify()).ok).toBe(true);

    const proxied = await authzenWrit(proxy.url);
    const viaProxy = nextOrder('proxied');
    await expectRan(proxied, viaProxy, await proxied.call(viaProxy));
    expect((await proxied.closeAndVerify()).ok).toBe(true);
  });

  const cerbosError = JSON.stringify({ code: 13, message: 'internal error' });
  it.each<[string, ProxyFault, RegExp, string]>([
    [
      'HTTP 500 (Cerbos-style gRPC-gateway error body)',
      { kind: 'status', status: 500, body: cerbosError },
      /answered HTTP 500/,
      'http_status',
    ],
    [
      'HTTP 503 with an HTML body (a load balancer)',
      { kind: 'status', status: 503, body: '<h1>no healthy upstream</h1>', contentType: 'text/html' },
      /answered HTTP 503/,
      'http_status',
    ],
    [
      'garbage body (HTML with status 200)',
      { kind: 'replace', body: '<html>ok</html>', contentType: 'text/html' },
      /did not answer a JSON object/,
      'invalid_json',
    ],
    [
      'garbage body (binary bytes labelled JSON)',
      { kind: 'replace', body: '\u0000\u00ff{{}' },
      /did not answer a JSON object/,
      'invalid_json',
    ],
    ['empty body', { kind: 'replace', body: '' }, /did not answer a JSON object/, 'empty_body'],
    [
      "Cerbos's answer cut in half (connection closed mid-body)",
      { kind: 'truncate' },
      /could not be reached/,
      'network',
    ],
    ['connection reset before any answer', { kind: 'reset' }, /could not be reached/, 'network'],
    [
      'malformed decision: "true" as a string',
      { kind: 'rewrite', rewrite: (a) => ({ ...(a as object), decision: 'true' }) },
      /decision must be a boolean/,
      'invalid_response',
    ],
    [
      'malformed decision: no decision member',
      {
        kind: 'rewrite',
        rewrite: (a) => {
          const { decision: _d, ...rest } = a as { decision?: unknown };
          return rest;
        },
      },
      /decision must be a boolean/,
      'invalid_response',
    ],
    [
      'malformed decision: decision null',
      { kind: 'rewrite', rewrite: (a) => ({ ...(a as object), decision: null }) },
      /decision must be a boolean/,
      'invalid_response',
    ],
    [
      'malformed decision: decision 1',
      { kind: 'rewrite', rewrite: (a) => ({ ...(a as object), decision: 1 }) },
      /decision must be a boolean/,
      'invalid_response',
    ],
    [
      'malformed decision: a top-level array of decisions',
      { kind: 'rewrite', rewrite: (a) => [a] },
      /did not answer a JSON object/,
      'invalid_response',
    ],
    [
      'malformed decision: context a string',
      { kind: 'rewrite', rewrite: () => ({ decision: true, context: 'allowed' }) },
      /context must be an object/,
      'invalid_response',
    ],
    [
      'malformed decision: context.writ.approval_required "no"',
      {
        kind: 'rewrite',
        rewrite: () => ({ decision: true, context: { writ: { approval_required: 'no' } } }),
      },
      /approval_required must be a boolean/,
      'invalid_response',
    ],
  ])('%s: WRIT_PDP_UNAVAILABLE', async (_name, fault, text, reason) => {
    const h = await authzenWrit(proxy.url);
    proxy.set(fault);
    const evaluatedBefore = proxy.evaluated();
    const orderId = nextOrder('fault');
    const decision = await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'authzen',
      fault: text,
    });
    expect(decision.refusal?.details).toMatchObject({ reason });
    expect(proxy.evaluated()).toBe(evaluatedBefore + 1); // Cerbos did evaluate; its answer was lost
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it(`slow: Cerbos's answer held for 5 s; denied once timeouts.policyMs (${POLICY_MS} ms) passes`, async () => {
    const slow = await startDelayProxy({ host: '127.0.0.1', port: cerbos.port }, { delayMs: 5_000 });
    try {
      const h = await authzenWrit(slow.url);
      const orderId = nextOrder('slow');
      await expectFailedClosed(h, orderId, await h.call(orderId), {
        code: 'WRIT_PDP_UNAVAILABLE',
        engine: 'authzen',
        fault: `policy engine "authzen" did not answer within ${POLICY_MS} ms`,
      });
      expect(slow.connections()).toBeGreaterThan(0); // the request reached Cerbos; its answer was late
      expect((await h.closeAndVerify()).ok).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('down: nothing listens on the configured port (connection refused, discovery on)', async () => {
    const h = await authzenWrit(`http://127.0.0.1:${await freePort()}`, { discover: true });
    const orderId = nextOrder('refused');
    const decision = await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_PDP_UNAVAILABLE',
      engine: 'authzen',
      fault: /could not be reached/,
    });
    expect(decision.refusal?.details).toMatchObject({ reason: 'network' });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it('down mid-run: Cerbos is SIGKILLed between two calls of one task (discovery cached)', async () => {
    const doomed = await startCerbos();
    try {
      const h = await authzenWrit(doomed.url, { discover: true });
      const [before, after] = [nextOrder('before-kill'), nextOrder('after-kill')];
      const outcomes = await h.task(async () => {
        const first = await h.callInTask(before);
        await doomed.kill();
        return [first, await h.callInTask(after)] as const;
      });
      await expectRan(h, before, outcomes[0]);
      const decision = await expectFailedClosed(h, after, outcomes[1], {
        code: 'WRIT_PDP_UNAVAILABLE',
        engine: 'authzen',
        fault: /could not be reached/,
      });
      expect(decision.refusal?.details).toMatchObject({ reason: 'network' });
      expect((await h.closeAndVerify()).ok).toBe(true);
    } finally {
      await doomed.close();
    }
  });

  it('Cerbos hits a CEL evaluation error (no such key: amount): it answers deny plus its conditionNotMet output, so Writ sees approval_required, not the error; refused without an approver', async () => {
    const h = await authzenWrit(cerbos.url, { discover: true });
    const refunds: string[] = [];
    const refund = h.writ.tool({
      name: 'refund_order',
      permission: 'orders:refund',
      risk: 'high',
      // the resource carries no amount, so Cerbos's `request.resource.attr.amount <= 100` errors
      input: z.object({ orderId: z.string() }),
      resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
      execute: async ({ orderId }) => {
        refunds.push(orderId);
        return { refunded: true };
      },
    });
    const orderId = nextOrder('cel-error');
    const error = await h.task(() => refund.execute({ orderId })).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED')).toBe(true);
    expect(refunds).toEqual([]);
    const records = await h.records();
    const [decision] = records.filter((e) => e.r.kind === 'decision' && e.r.call?.resource?.id === orderId);
    expect(decision?.r.decision).toMatchObject({
      effect: 'approval_required',
      reasons: ['refunds over 100 need a manager'],
    });
    // Cerbos logs the CEL error but does not put it in its AuthZEN answer: there is nothing to record
    expect(decision?.r.decision?.errors).toBeUndefined();
    expect(cerbos.logs()).toContain('no such key: amount');
    expect(decision?.r.refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
    expectEveryRunRecorded(h.ranCalls, records);
    expect((await h.closeAndVerify()).ok).toBe(true);
  });
});

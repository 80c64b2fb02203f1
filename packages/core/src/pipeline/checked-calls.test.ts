import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Attribution } from '../attribution.js';
import { canonicalJson, sha256Hex } from '../canonical-json.js';
import { createConfig } from '../config.js';
import type { TaskState } from '../context.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from '../testing/index.js';
import { defineTool } from '../tool-definition.js';
import { ALICE_ATTRIBUTION } from './__support__/call-run.js';
import { checkCall } from './check.js';
import { sameData } from './checked-calls.js';
import { bindingParts, callKeyOf, requesterOf } from './replay.js';
import { runCall } from './run.js';

/** A call set-up that counts what `run` would otherwise redo: schema validations and resource lookups. */
function setup() {
  const audit = createInMemoryAuditSink();
  const config = createConfig({ policy: createInMemoryPolicy({ fallback: 'allow' }), audit });
  const task: TaskState = { attribution: ALICE_ATTRIBUTION, writ: undefined };
  const counts = { validated: 0, resolved: 0 };
  const schema = z.object({ orderId: z.string(), tags: z.array(z.string()).optional() });
  const def = defineTool(
    {
      name: 'refund_order',
      input: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (value: unknown) => {
            counts.validated += 1;
            return schema['~standard'].validate(value);
          },
        },
      },
      resource: (args) => {
        counts.resolved += 1;
        return { type: 'Order', id: (args as { orderId: string }).orderId };
      },
    },
    'test',
  );
  const received: unknown[] = [];
  const invoke = (args: unknown) => {
    received.push(args);
    return 'ok';
  };
  const options = (toolCallId: string) => ({ ledger: true, toolCallId }) as const;
  const check = (args: unknown, toolCallId = 'call_1') =>
    checkCall(config, task, def, args, options(toolCallId), invoke);
  const run = (args: unknown, toolCallId = 'call_1') =>
    runCall(config, task, def, args, options(toolCallId), invoke);
  const checkThenRun = async (checked: unknown, ran: unknown, toolCallId = 'call_1') => {
    await check(checked, toolCallId);
    return run(ran, toolCallId);
  };
  return { audit, counts, received, check, run, checkThenRun };
}

describe('run reuses what check worked out, for the arguments check judged only', () => {
  it('the same object, unchanged: validated and resolved once; the tool gets the frozen copy check validated', async () => {
    const { audit, counts, received, checkThenRun } = setup();
    const args = { orderId: '42', tags: ['a'] };
    await checkThenRun(args, args);
    expect(counts).toEqual({ validated: 1, resolved: 1 });
    expect(received).toEqual([args]);
    expect(received[0]).not.toBe(args);
    expect(Object.isFrozen(received[0])).toBe(true);
    const [decision] = audit.ofKind('decision');
    expect(decision?.call.argsDigest).toBe(sha256Hex(canonicalJson(args)));
  });

  it('an equal object (the framework parsed the input again): reused too', async () => {
    const { counts, received, checkThenRun } = setup();
    await checkThenRun({ orderId: '42', tags: ['a'] }, { orderId: '42', tags: ['a'] });
    expect(counts).toEqual({ validated: 1, resolved: 1 });
    expect(received).toEqual([{ orderId: '42', tags: ['a'] }]);
  });

  it('the same object changed after check, or other arguments: worked out afresh (validated, resolved, decided again)', async () => {
    const { audit, counts, received, check, run, checkThenRun } = setup();
    const args = { orderId: '42', tags: ['a'] };
    await check(args);
    args.tags.push('b'); // between the framework's gate and its executor
    await run(args);
    await checkThenRun({ orderId: '43' }, { orderId: '44' }, 'call_2');
    expect(counts).toEqual({ validated: 4, resolved: 4 });
    expect(received).toEqual([{ orderId: '42', tags: ['a', 'b'] }, { orderId: '44' }]);
    expect(audit.ofKind('decision').map((e) => e.call.resource?.id)).toEqual(['42', '44']);
  });

  it('is taken once: a second run of the call is replayed from the ledger, not reused', async () => {
    const { audit, counts, received, checkThenRun } = setup();
    const args = { orderId: '42' };
    await checkThenRun(args, args);
    await checkThenRun(args, args);
    expect(received).toHaveLength(1);
    expect(counts.validated).toBe(1);
    expect(audit.ofKind('outcome').map((e) => e.outcome.status)).toEqual(['ok', 'replayed']);
  });
});

describe("sameData: what run is given against check's frozen copy", () => {
  it('equal plain data is the same; any difference, or anything but plain data, is not', () => {
    const snapshot = { a: [1, 'x', null, { b: true }], c: { d: -1 } };
    expect(sameData(structuredClone(snapshot), snapshot, 0)).toBe(true);
    expect(sameData({ a: [1, 'x', null, { b: false }], c: { d: -1 } }, snapshot, 0)).toBe(false);
    expect(sameData({ a: [1, 'x', null], c: { d: -1 } }, snapshot, 0)).toBe(false);
    expect(sameData({ ...structuredClone(snapshot), e: undefined }, snapshot, 0)).toBe(false);
    expect(sameData({ a: snapshot.a }, snapshot, 0)).toBe(false);
    expect(sameData({ x: 0 }, { x: -0 }, 0)).toBe(false);
    expect(sameData({ x: () => 1 }, { x: {} }, 0)).toBe(false);
    expect(sameData({ toJSON: () => ({}) }, {}, 0)).toBe(false);
    expect(sameData(new Date(0), new Date(0), 0)).toBe(false);
    expect(sameData([1], { 0: 1 }, 0)).toBe(false);
    expect(sameData({ 0: 1 }, [1], 0)).toBe(false);
  });
});

describe('the ledger binding, its fixed parts written once', () => {
  const def = defineTool({ name: 'refund_order' }, 'test');
  const bindingOf = (attribution: Attribution, rawDigest: string) =>
    sha256Hex(
      canonicalJson({
        agent: attribution.chain.at(-1)?.id,
        argsDigest: rawDigest,
        requester: requesterOf(attribution),
        taskId: attribution.taskId,
        tool: 'refund_order',
      }),
    );
  const keyOf = (attribution: Attribution, rawDigest: string) =>
    callKeyOf({ attribution, writ: undefined }, def, rawDigest, { ledger: true, toolCallId: 'c1' });

  it('is the digest of the canonical JSON of the binding, with or without a requester, whatever the ids hold', () => {
    const odd: Attribution = Object.freeze({
      ...ALICE_ATTRIBUTION,
      taskId: 'task "2"\n\u2028',
      requester: Object.freeze({
        kind: 'human',
        id: 'al\\ice',
        issuer: 'https://idp',
        assurance: 'verified',
      }),
      chain: Object.freeze([
        Object.freeze({ kind: 'agent', id: 'spiffe://x/agent/é', assurance: 'verified' }),
      ]),
    } as Attribution);
    const { requester: _r, ...rest } = ALICE_ATTRIBUTION;
    const autonomous = Object.freeze({ ...rest, autonomous: true }) as Attribution;
    for (const attribution of [ALICE_ATTRIBUTION, odd, autonomous]) {
      for (const rawDigest of ['sha256:a', 'sha256:b']) {
        expect(keyOf(attribution, rawDigest)?.binding).toBe(bindingOf(attribution, rawDigest));
      }
    }
    expect(keyOf(odd, 'sha256:a')?.binding).not.toBe(keyOf(ALICE_ATTRIBUTION, 'sha256:a')?.binding);
  });

  it('is kept only for a frozen attribution: one that can change is written afresh each time', () => {
    const mutable = {
      ...ALICE_ATTRIBUTION,
      chain: [{ kind: 'agent', id: 'spiffe://x/agent/one', assurance: 'verified' }],
    } as { taskId: string } & Attribution;
    const before = bindingParts(mutable, 'refund_order');
    (mutable as { taskId: string }).taskId = 'task-other';
    expect(bindingParts(mutable, 'refund_order')).not.toEqual(before);
    expect(keyOf(mutable, 'sha256:a')?.binding).toBe(bindingOf(mutable, 'sha256:a'));
  });
});

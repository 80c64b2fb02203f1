import { describe, expect, it } from 'vitest';
import { digest } from '../canonical-json.js';
import { createConfig } from '../config.js';
import type { TaskState } from '../context.js';
import { WritError } from '../errors.js';
import { alreadyExecuted, createInMemoryCallLedger } from '../stores/call-ledger.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from '../testing/index.js';
import { defineTool } from '../tool-definition.js';
import { ALICE_ATTRIBUTION, callRun, REFUND } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import { callKeyOf, replay, settleWhenDone, suspended } from './replay.js';
import { runCall } from './run.js';

const task: TaskState = { attribution: ALICE_ATTRIBUTION, writ: undefined };
const def = defineTool(REFUND, 'test');

describe('the call ledger side of a run', () => {
  it('only calls remembered by a tool call id have a key; it binds tool, arguments and agent', () => {
    expect(callKeyOf(task, def, 'sha256:a', {})).toBeUndefined();
    expect(callKeyOf(task, def, 'sha256:a', { ledger: true })).toBeUndefined();
    const key = callKeyOf(task, def, 'sha256:a', { ledger: true, toolCallId: 'c1' });
    expect(key?.callId).toBe('c1');
    expect(callKeyOf(task, def, 'sha256:b', { ledger: true, toolCallId: 'c1' })?.binding).not.toBe(
      key?.binding,
    );
    const otherAgent = {
      ...task,
      attribution: {
        ...ALICE_ATTRIBUTION,
        chain: [{ kind: 'agent', id: 'spiffe://x/agent/other', assurance: 'verified' }],
      },
    } as TaskState;
    expect(callKeyOf(otherAgent, def, 'sha256:a', { ledger: true, toolCallId: 'c1' })?.binding).not.toBe(
      key?.binding,
    );
  });

  it('replay gives back the same value or the same error', async () => {
    await expect(replay({ ok: true, value: 7 })).resolves.toBe(7);
    const error = new Error('x');
    await expect(replay({ ok: false, error })).rejects.toBe(error);
  });

  it('a framework pause is recognised only after the tool started, and a throwing predicate is no pause', async () => {
    const pause = new Error('interrupt');
    const { run } = callRun({ options: { isSuspension: (e) => e === pause } });
    expect(suspended(run, pause)).toBe(false);
    run.executed = true;
    expect(suspended(run, pause)).toBe(true);
    expect(suspended(run, new Error('other'))).toBe(false);
    const { run: broken } = callRun({
      options: {
        isSuspension: () => {
          throw new Error('bad predicate');
        },
      },
    });
    broken.executed = true;
    expect(suspended(broken, pause)).toBe(false);
  });

  it('settles results and errors, releases aborts; a failing ledger is reported, the result still returned', async () => {
    const reported: WritError[] = [];
    const { run, config } = callRun({ writ: { onError: (e) => reported.push(e) } });
    await validate(run);
    const key = { callId: 'c1', binding: 'b' };
    await config.calls.claim(key, { signal: new AbortController().signal });
    await expect(settleWhenDone(run, key, Promise.resolve('v'))).resolves.toBe('v');
    expect((await config.calls.get(key))?.settled).toEqual({ ok: true, value: 'v' });

    const key2 = { callId: 'c2', binding: 'b' };
    await config.calls.claim(key2, { signal: new AbortController().signal });
    const aborted = new WritError('WRIT_ABORTED', 'gone');
    await expect(settleWhenDone(run, key2, Promise.reject(aborted))).rejects.toBe(aborted);
    expect((await config.calls.get(key2))?.settled).toBeUndefined();
    expect((await config.calls.claim(key2, { signal: new AbortController().signal })).status).toBe('claimed');

    const broken = {
      ...config,
      calls: {
        ...config.calls,
        name: 'broken',
        settle: async () => {
          throw new Error('db down');
        },
      },
    };
    await expect(settleWhenDone({ ...run, config: broken }, key, Promise.resolve('still'))).resolves.toBe(
      'still',
    );
    expect(reported.map((e) => e.message)).toEqual([expect.stringContaining('could not settle c1')]);
  });
});

describe('a shared ledger that may not keep results', () => {
  it('a second claimant gets WRIT_ALREADY_EXECUTED with the result digest (recorded), never a second run', async () => {
    // what a shared store does with capture off: the value stays in the process that ran the call
    const inner = createInMemoryCallLedger({ max: 10, clock: Date.now });
    const withholding = {
      ...inner,
      name: 'withholding',
      settle: (key: never, entry: Parameters<typeof inner.settle>[1]) =>
        inner.settle(key, {
          ...entry,
          settled: entry.executed
            ? alreadyExecuted((key as { callId: string }).callId, entry.resultDigest)
            : entry.settled,
        }),
    };
    const audit = createInMemoryAuditSink();
    const config = createConfig({
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit,
      stores: { calls: withholding },
    });
    let runs = 0;
    const invoke = () => {
      runs += 1;
      return { refunded: 30 };
    };
    const options = { ledger: true, toolCallId: 'c1' } as const;
    await expect(runCall(config, task, def, { orderId: '42', amount: 30 }, options, invoke)).resolves.toEqual(
      {
        refunded: 30,
      },
    );
    const again = await runCall(config, task, def, { orderId: '42', amount: 30 }, options, invoke).catch(
      (e: unknown) => e,
    );
    expect(WritError.isInstance(again, 'WRIT_ALREADY_EXECUTED')).toBe(true);
    expect((again as WritError).details).toEqual({ callId: 'c1', resultDigest: digest({ refunded: 30 }) });
    expect(runs).toBe(1);
    const outcomes = audit.ofKind('outcome').map((e) => e.outcome);
    expect(outcomes.map((o) => [o.status, o.errorCode])).toEqual([
      ['ok', undefined],
      ['replayed', 'WRIT_ALREADY_EXECUTED'],
    ]);
    expect(outcomes[0]?.resultDigest).toBe(digest({ refunded: 30 }));
  });
});

describe('a ledger row that fails its signature', () => {
  it('refuses the call with the store error, recorded (decision refusal + outcome), the tool never run', async () => {
    const inner = createInMemoryCallLedger({ max: 10, clock: Date.now });
    const forged = new WritError(
      'WRIT_STORE_TAMPERED',
      'call ledger: the entry of tool call c1 fails its signature',
    );
    const tampered = {
      ...inner,
      name: 'tampered',
      claim: () => Promise.reject(forged),
      get: () => Promise.reject(forged),
    };
    const audit = createInMemoryAuditSink();
    const config = createConfig({
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit,
      stores: { calls: tampered },
    });
    let runs = 0;
    const invoke = () => {
      runs += 1;
      return 'ran';
    };
    await expect(
      runCall(config, task, def, { orderId: '42', amount: 30 }, { ledger: true, toolCallId: 'c1' }, invoke),
    ).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    expect(runs).toBe(0);
    expect(audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_STORE_TAMPERED');
    expect(audit.ofKind('outcome')[0]?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_STORE_TAMPERED',
    });
  });
});

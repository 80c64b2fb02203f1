import { describe, expect, it } from 'vitest';
import { createConfig } from '../config.js';
import type { TaskState } from '../context.js';
import { WritError } from '../errors.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from '../testing/index.js';
import { defineTool } from '../tool-definition.js';
import { ALICE_ATTRIBUTION, REFUND } from './__support__/call-run.js';
import { runCall } from './run.js';

function setup(policy = createInMemoryPolicy({ fallback: 'allow' })) {
  const audit = createInMemoryAuditSink();
  const config = createConfig({ policy, audit });
  const task: TaskState = { attribution: ALICE_ATTRIBUTION, writ: undefined };
  return { audit, config, task, def: defineTool(REFUND, 'test') };
}
const ARGS = { orderId: '42', amount: 30 };

describe('runCall: orchestration', () => {
  it('records decision then outcome around the tool, linked by the decision index', async () => {
    const { audit, config, task, def } = setup();
    await expect(runCall(config, task, def, ARGS, {}, () => 'refunded')).resolves.toBe('refunded');
    expect(audit.events.map((e) => e.kind)).toEqual(['decision', 'outcome']);
    const [decision, outcome] = audit.events;
    expect(outcome).toMatchObject({ kind: 'outcome', outcome: { status: 'ok' }, decisionIndex: 0 });
    expect(decision).toMatchObject({ call: { name: 'refund_order' }, decision: { effect: 'allow' } });
  });

  it('a pre-refusal is recorded like any refusal and the tool never runs', async () => {
    const { audit, config, task, def } = setup();
    let ran = false;
    const refusal = new WritError('WRIT_IDENTITY_INVALID', 'caller token did not verify');
    await expect(runCall(config, task, def, ARGS, {}, () => (ran = true), refusal)).rejects.toBe(refusal);
    expect(ran).toBe(false);
    expect(audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_IDENTITY_INVALID');
    expect(audit.ofKind('outcome')[0]?.outcome.status).toBe('refused');
  });

  it('the same framework call run concurrently executes once; every caller gets its result', async () => {
    const { audit, config, task, def } = setup();
    let executions = 0;
    const tool = async () => {
      executions += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { refundId: `r-${executions}` };
    };
    const options = { ledger: true, toolCallId: 'call_1' } as const;
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runCall(config, task, def, ARGS, options, tool)),
    );
    expect(executions).toBe(1);
    expect(results).toEqual(Array(4).fill({ refundId: 'r-1' }));
    expect(audit.ofKind('decision')).toHaveLength(1);
  });

  it('a tool error is the settled result too: replayed, not re-run', async () => {
    const { config, task, def } = setup();
    let executions = 0;
    const failing = () => {
      executions += 1;
      throw new TypeError('payment API down');
    };
    const options = { ledger: true, toolCallId: 'call_2' } as const;
    await expect(runCall(config, task, def, ARGS, options, failing)).rejects.toThrow('payment API down');
    await expect(runCall(config, task, def, ARGS, options, failing)).rejects.toThrow('payment API down');
    expect(executions).toBe(1);
  });

  it('an aborted call is not its result: the same call id runs again later', async () => {
    const { config, task, def } = setup();
    const controller = new AbortController();
    controller.abort();
    let executions = 0;
    const tool = () => ++executions;
    await expect(
      runCall(
        config,
        task,
        def,
        ARGS,
        { ledger: true, toolCallId: 'call_3', signal: controller.signal },
        tool,
      ),
    ).rejects.toMatchObject({ code: 'WRIT_ABORTED' });
    await expect(
      runCall(config, task, def, ARGS, { ledger: true, toolCallId: 'call_3' }, tool),
    ).resolves.toBe(1);
  });
});

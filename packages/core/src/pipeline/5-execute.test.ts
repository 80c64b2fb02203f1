import { describe, expect, it } from 'vitest';
import { tryGetToolContext } from '../tool-context.js';
import { callRun } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import { execute } from './5-execute.js';

describe('stage 5: execute', () => {
  it('runs the tool with the validated arguments and its ToolContext active', async () => {
    const seen: unknown[] = [];
    const { run } = callRun({
      invoke: (args, ctx) => {
        seen.push(args, ctx.call.id, tryGetToolContext()?.decision.decisionId);
        return 'done';
      },
    });
    await validate(run);
    run.decision = {
      effect: 'allow',
      policyIds: [],
      reasons: [],
      decisionId: 'd-1',
      engine: 'e',
      evaluatedContext: {} as never,
    };
    await expect(execute(run)).resolves.toBe('done');
    expect(seen).toEqual([{ orderId: '42', amount: 30 }, 'call-1', 'd-1']);
    expect(run.executed).toBe(true);
  });

  it('wrapExecute middleware runs around the tool, outermost first', async () => {
    const order: string[] = [];
    const { run } = callRun({
      invoke: () => {
        order.push('tool');
        return 1;
      },
      writ: {
        middleware: [
          {
            name: 'outer',
            wrapExecute: async (_s, next) => {
              order.push('outer');
              return next();
            },
          },
          {
            name: 'inner',
            wrapExecute: async (_s, next) => {
              order.push('inner');
              return next();
            },
          },
        ],
      },
    });
    await validate(run);
    await execute(run);
    expect(order).toEqual(['outer', 'inner', 'tool']);
  });

  it('does not run the tool once the caller gave up', async () => {
    const controller = new AbortController();
    let ran = false;
    const { run } = callRun({ invoke: () => (ran = true), options: { signal: controller.signal } });
    await validate(run);
    controller.abort();
    await expect(execute(run)).rejects.toMatchObject({ code: 'WRIT_ABORTED' });
    expect(ran).toBe(false);
    expect(run.executed).toBe(false);
  });

  it('marks the call executed before the tool body, so a throw counts as the tool failing', async () => {
    const { run } = callRun({
      invoke: () => {
        throw new Error('tool broke');
      },
    });
    await validate(run);
    await expect(execute(run)).rejects.toThrow('tool broke');
    expect(run.executed).toBe(true);
  });
});

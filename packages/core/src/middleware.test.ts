import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compose } from './compose.js';
import { createWrit, type Decision, WritError, type WritMiddleware } from './index.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from './testing/index.js';

function build(middleware: WritMiddleware[], fallback: 'allow' | 'deny' = 'allow') {
  const audit = createInMemoryAuditSink();
  const policy = createInMemoryPolicy({
    fallback,
    rules: [
      { id: 'confidential', effect: 'deny', when: (r) => r.context.dataClassification === 'restricted' },
    ],
  });
  const writ = createWrit({ policy, audit, middleware });
  const runs: unknown[] = [];
  const tool = writ.tool({
    name: 'echo',
    input: z.object({ v: z.number() }),
    execute: async ({ v }) => {
      runs.push(v);
      return v;
    },
  });
  return { writ, audit, policy, tool, runs };
}

describe('middleware', () => {
  it('composes in list order, first listed outermost, around decide and execute', async () => {
    const trace: string[] = [];
    const mw = (name: string): WritMiddleware => ({
      name,
      wrapDecide: async (_s, next) => {
        trace.push(`${name}:decide:before`);
        const d = await next();
        trace.push(`${name}:decide:after`);
        return d;
      },
      wrapExecute: async (s, next) => {
        trace.push(`${name}:execute:before:${s.decisionReceipt?.index}`);
        const r = await next();
        trace.push(`${name}:execute:after`);
        return r;
      },
    });
    const { tool, writ } = build([mw('a'), mw('b')]);
    await writ.task({ agent: 'x' }, () => tool.execute({ v: 1 }));
    expect(trace).toEqual([
      'a:decide:before',
      'b:decide:before',
      'b:decide:after',
      'a:decide:after',
      // execute hooks run only after the decision record (index 1) is in the log
      'a:execute:before:1',
      'b:execute:before:1',
      'b:execute:after',
      'a:execute:after',
    ]);
  });

  it('transformRequest enriches what the policy judges, and the record keeps the enriched context', async () => {
    const classify: WritMiddleware = {
      name: 'classify',
      transformRequest: (request) => ({
        ...request,
        context: { ...request.context, dataClassification: 'restricted' },
      }),
    };
    const { tool, writ, audit, runs } = build([classify]);
    await expect(writ.task({ agent: 'x' }, () => tool.execute({ v: 1 }))).rejects.toMatchObject({
      code: 'WRIT_POLICY_DENIED',
    });
    expect(runs).toEqual([]);
    expect(audit.ofKind('decision')[0]?.decision.evaluatedContext?.context.dataClassification).toBe(
      'restricted',
    );
  });

  it('a hook calling next() twice is refused and the tool runs at most once', async () => {
    const twice: WritMiddleware = {
      name: 'twice',
      wrapExecute: async (_s, next) => {
        await next();
        return next();
      },
    };
    const { tool, writ, runs } = build([twice]);
    const error = await writ.task({ agent: 'x' }, () => tool.execute({ v: 7 })).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_MIDDLEWARE_INVALID')).toBe(true);
    expect(runs).toEqual([7]);
  });

  it('wrapDecide can override the engine, and a malformed decision fails closed', async () => {
    const garbage: WritMiddleware = {
      name: 'garbage',
      wrapDecide: async () => ({ effect: 'maybe' }) as unknown as Decision,
    };
    const g = build([garbage]);
    await expect(g.writ.task({ agent: 'x' }, () => g.tool.execute({ v: 1 }))).rejects.toMatchObject({
      code: 'WRIT_PDP_UNAVAILABLE',
    });
    expect(g.runs).toEqual([]);
  });

  it('a middleware that short-circuits execute without calling next() means the tool did not run: outcome refused', async () => {
    const block: WritMiddleware = {
      name: 'maintenance',
      wrapExecute: async () => {
        throw new WritError('WRIT_POLICY_DENIED', 'maintenance window');
      },
    };
    const { tool, writ, audit, runs } = build([block]);
    await expect(writ.task({ agent: 'x' }, () => tool.execute({ v: 1 }))).rejects.toMatchObject({
      code: 'WRIT_POLICY_DENIED',
    });
    expect(runs).toEqual([]);
    expect(audit.ofKind('outcome')[0]?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_POLICY_DENIED',
    });
    // the decision record was already durable (allow) before the middleware refused
    expect(audit.ofKind('decision')).toHaveLength(1);
  });

  it('compose() on its own: first hook outermost, next twice rejects', async () => {
    const run = compose<string[], string>(
      [
        async (s, next) => {
          s.push('a');
          return `${await next()}a`;
        },
        async (s, next) => {
          s.push('b');
          return `${await next()}b`;
        },
      ],
      async () => 'x',
    );
    const seen: string[] = [];
    await expect(run(seen)).resolves.toBe('xba');
    expect(seen).toEqual(['a', 'b']);
    const bad = compose<null, number>([async (_s, next) => (await next()) + (await next())], async () => 1);
    await expect(bad(null)).rejects.toMatchObject({ code: 'WRIT_MIDDLEWARE_INVALID' });
  });
});

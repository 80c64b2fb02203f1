import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  attributed,
  createWrit,
  type Decision,
  type ToolContext,
  type WritErrorCode,
  type WritTool,
  withAttribution,
} from './index.js';
import type { DecisionEffect } from './plugin.js';

const writ = createWrit();
const input = z.object({ orderId: z.string(), amount: z.number().default(0) });

describe('writ.tool types', () => {
  it('infers execute args from the zod schema and lets the return type flow through', () => {
    const tool = writ.tool({
      name: 'refund',
      input,
      execute: async (args, ctx) => {
        expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
        expectTypeOf(ctx).toEqualTypeOf<ToolContext>();
        return { refunded: args.amount, at: new Date() };
      },
    });
    expectTypeOf(tool).toExtend<WritTool>();
    // callers pass the schema's input type (amount optional thanks to .default)
    expectTypeOf(tool.execute).parameter(0).toEqualTypeOf<{ orderId: string; amount?: number | undefined }>();
    expectTypeOf(tool.execute).returns.toEqualTypeOf<Promise<{ refunded: number; at: Date }>>();
  });

  it('unwraps synchronous results too', () => {
    const tool = writ.tool({ name: 'n', input: z.object({}), execute: () => 42 as const });
    expectTypeOf(tool.execute).returns.toEqualTypeOf<Promise<42>>();
  });

  it('rejects wrong argument types at compile time', () => {
    const tool = writ.tool({ name: 'n', input, execute: async () => 1 });
    // @ts-expect-error orderId must be a string
    void tool.execute({ orderId: 42 });
    // @ts-expect-error execute args are the parsed output type
    writ.tool({ name: 'n', input, execute: async (args: { orderId: number }) => args });
  });
});

describe('withAttribution and @attributed types', () => {
  it('keeps the wrapped function signature (args from the schema when given)', () => {
    const withSchema = withAttribution(
      async (args, ctx) => ({ id: args.orderId, jti: ctx.credential?.jti }),
      { name: 'x', input },
    );
    expectTypeOf(withSchema).parameter(0).toEqualTypeOf<{ orderId: string; amount?: number | undefined }>();
    expectTypeOf(withSchema).returns.toEqualTypeOf<Promise<{ id: string; jti: string | undefined }>>();
    const plain = withAttribution(async (args: { n: number }) => args.n, { name: 'y' });
    expectTypeOf(plain).parameter(0).toEqualTypeOf<{ n: number }>();
    expectTypeOf(plain).returns.toEqualTypeOf<Promise<number>>();
  });

  it('decorates async methods only', () => {
    class Ok {
      @attributed({ name: 'ok' })
      async run(args: { a: string }): Promise<number> {
        return args.a.length;
      }
    }
    expectTypeOf(new Ok().run).returns.toEqualTypeOf<Promise<number>>();
    class NotAsync {
      // @ts-expect-error decorated methods must return a promise
      @attributed({ name: 'sync' })
      run(args: { a: string }): number {
        return args.a.length;
      }
    }
    void NotAsync;
  });
});

describe('public unions', () => {
  it('are literal unions', () => {
    expectTypeOf<DecisionEffect>().toEqualTypeOf<'allow' | 'deny' | 'approval_required'>();
    expectTypeOf<Decision['effect']>().toEqualTypeOf<DecisionEffect>();
    expectTypeOf<'WRIT_POLICY_DENIED'>().toExtend<WritErrorCode>();
    expectTypeOf<'WRIT_SOMETHING_ELSE'>().not.toExtend<WritErrorCode>();
  });
});

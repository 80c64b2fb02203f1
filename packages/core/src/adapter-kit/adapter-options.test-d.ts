import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Resource } from '../tool-call.js';
import type { AdapterOptions, AdapterToolHints, SchemaArgs, ToolHints } from './adapter-options.js';

type OrderTools = { lookup_order: { orderId: string }; refund_order: { orderId: string; amount: number } };

describe('adapter options types', () => {
  it('types hint keys and each hint’s arguments from the tool map', () => {
    const options: AdapterOptions<OrderTools> = {
      tools: {
        refund_order: {
          risk: 'high',
          resource: (args) => {
            expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
            return { type: 'Order', id: args.orderId };
          },
          dataClassification: ({ amount }) => (amount > 1000 ? 'confidential' : undefined),
        },
      },
    };
    void options;
    const typo: AdapterOptions<OrderTools> = {
      // @ts-expect-error a hint for a tool that does not exist
      tools: { refund_ordr: { risk: 'high' } },
    };
    void typo;
    const wrongArgs: ToolHints<OrderTools> = {
      // @ts-expect-error lookup_order has no amount
      lookup_order: { resource: (args) => ({ type: 'Order', id: String(args.amount) }) },
    };
    void wrongArgs;
  });

  it('without a tool map: any name, unknown arguments (as before)', () => {
    const options: AdapterOptions = {
      tools: { anything: { resource: (args) => ({ type: 'Thing', id: String(args) }) } },
    };
    expectTypeOf(options.tools).toEqualTypeOf<ToolHints | undefined>();
    const hints: AdapterToolHints = {};
    expectTypeOf(hints.resource).toEqualTypeOf<((args: unknown) => Resource) | undefined>();
  });

  it('typed hints still fit where hints of unknown arguments go (adapters pass them on)', () => {
    const typed: AdapterOptions<OrderTools> = { tools: { lookup_order: { risk: 'low' } } };
    expectTypeOf(typed).toExtend<AdapterOptions>();
    const hint: AdapterToolHints<{ orderId: string }> = {
      resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    };
    expectTypeOf(hint).toExtend<AdapterToolHints>();
  });

  it('reads arguments from Standard Schemas, unknown otherwise', () => {
    const input = z.object({ orderId: z.string(), amount: z.number().default(0) });
    expectTypeOf<SchemaArgs<typeof input>>().toEqualTypeOf<{ orderId: string; amount: number }>();
    expectTypeOf<SchemaArgs<typeof input | undefined>>().toEqualTypeOf<{ orderId: string; amount: number }>();
    expectTypeOf<SchemaArgs<{ type: 'object' }>>().toBeUnknown();
    expectTypeOf<SchemaArgs<undefined>>().toBeUnknown();
    expectTypeOf<SchemaArgs<unknown>>().toBeUnknown();
  });
});

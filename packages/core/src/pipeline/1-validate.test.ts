import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../canonical-json.js';
import { WritError } from '../errors.js';
import { callRun, REFUND } from './__support__/call-run.js';
import { validate } from './1-validate.js';

describe('stage 1: validate', () => {
  it('fills in the validated arguments, their canonical digest, the resource (keys sorted) and classification', async () => {
    const { run } = callRun({
      tool: {
        ...REFUND,
        input: z.object({ orderId: z.string(), amount: z.coerce.number() }),
        resource: (a) => ({ type: 'Order', id: (a as { orderId: string }).orderId, tenant: 't1' }),
        dataClassification: (a) => ((a as { amount: number }).amount > 100 ? 'restricted' : 'internal'),
      },
      args: { amount: '30', orderId: '42' },
    });
    await validate(run);
    expect(run.call.args).toEqual({ orderId: '42', amount: 30 });
    expect(run.call.argsDigest).toBe(sha256Hex(canonicalJson({ amount: 30, orderId: '42' })));
    expect(Object.keys(run.call.resource)).toEqual(['id', 'tenant', 'type']);
    expect(run.call.dataClassification).toBe('internal');
  });

  it('refuses arguments the schema rejects, naming every issue by path (at most 20)', async () => {
    const { run } = callRun({
      tool: { ...REFUND, input: z.object({ items: z.array(z.object({ sku: z.string() })) }) },
      args: { items: Array.from({ length: 30 }, () => ({ sku: 1 })) },
    });
    const error = await validate(run).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_INPUT_INVALID')).toBe(true);
    const issues = (error as WritError).details.issues as string[];
    expect(issues).toHaveLength(20);
    expect(issues[0]).toMatch(/^items\.0\.sku: /);
    expect(run.call.args).toEqual({ items: expect.any(Array) }); // not replaced by anything validated
  });

  it('refuses values that are not JSON, a resource() that throws or returns no {type, id}', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [tool, args, message] of [
      [{ name: 'anything' }, cyclic, /not JSON-serialisable/],
      [
        {
          ...REFUND,
          resource: () => {
            throw new Error('no');
          },
        },
        { orderId: '1', amount: 1 },
        /could not resolve the resource/,
      ],
      [
        { ...REFUND, resource: () => ({ type: 'Order' }) as never },
        { orderId: '1', amount: 1 },
        /must return \{ type: string, id: string \}/,
      ],
    ] as const) {
      const { run } = callRun({ tool: tool as never, args });
      const error = await validate(run).catch((e: unknown) => e);
      expect(WritError.isInstance(error, 'WRIT_INPUT_INVALID'), String(message)).toBe(true);
      expect((error as WritError).message).toMatch(message);
    }
  });

  it('refuses a call whose caller already gave up (WRIT_ABORTED) before validating', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    let validated = false;
    const { run } = callRun({
      tool: {
        ...REFUND,
        input: {
          '~standard': {
            version: 1,
            vendor: 't',
            validate: (v) => {
              validated = true;
              return { value: v };
            },
          },
        },
      },
      options: { signal: controller.signal },
    });
    await expect(validate(run)).rejects.toMatchObject({ code: 'WRIT_ABORTED' });
    expect(validated).toBe(false);
  });
});

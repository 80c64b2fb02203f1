// The credential half of issue 9 item 7: genuine identity material (the requester token, the task token,
// a delegated task token, audience-bound per-call credentials) never appears in the audit log, spans,
// OpenTelemetry diagnostics, onError reports or the errors a caller sees, with capture left at its
// default. Zero-config runtime, real tools, every emitted byte scanned.
import { join } from 'node:path';
import { inspect } from 'node:util';
import { WritError } from '@writ/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHarness, expectAbsent, LeakWatch, logText, readRecords, secretsOf } from './support.js';

const watch = new LeakWatch();
beforeAll(() => watch.start());
afterAll(() => watch.stop());

describe('credentials never leak into evidence or telemetry (capture at its default)', () => {
  it('a full task: requester token, task and delegated tokens, audience-bound credentials, a deny and a tool error', async () => {
    const h = await createHarness();
    try {
      const { localIdentity, fileAudit } = await h.writ.ready();
      const requesterToken = (await localIdentity?.issueRequesterToken({
        sub: 'alice@example.com',
        name: 'Alice',
      })) as string;
      const seen: string[] = [];
      const charge = h.writ.tool({
        name: 'lookup_payment',
        permission: 'orders:read',
        annotations: { readOnly: true },
        risk: 'low',
        audience: 'https://payments.example.com',
        input: z.object({ orderId: z.string() }),
        execute: async ({ orderId }, ctx) => {
          seen.push(ctx.credential?.token as string);
          return { orderId, paid: true };
        },
      });
      const broken = h.writ.tool({
        name: 'lookup_invoice',
        permission: 'orders:read',
        annotations: { readOnly: true },
        risk: 'low',
        input: z.object({ orderId: z.string() }),
        execute: async (_args, ctx) => {
          seen.push(ctx.credential?.token as string);
          throw new Error('invoice service is down');
        },
      });
      const purge = h.writ.tool({
        name: 'purge_customer',
        permission: 'customers:delete',
        input: z.object({ customerId: z.string() }),
        execute: async () => 'gone',
      });

      watch.reset();
      const errors: unknown[] = [];
      const handles: { task?: string | undefined; delegated?: string | undefined } = {};
      await h.writ.task(
        { requester: requesterToken, agent: 'support-bot', scope: ['orders:*'] },
        async (task) => {
          handles.task = task.credential?.token;
          // the handle's credential serialises without its token
          expect(JSON.stringify(task.credential)).not.toContain(task.credential?.token as string);
          expect(inspect(task.credential)).not.toContain(task.credential?.token as string);
          expect({ ...task.credential }).not.toHaveProperty('token');
          await charge.execute({ orderId: '42' });
          errors.push(await broken.execute({ orderId: '42' }).catch((e: unknown) => e));
          errors.push(await purge.execute({ customerId: 'c-7' }).catch((e: unknown) => e));
          await h.writ.delegate({ agent: 'billing-bot', scope: ['orders:read'] }, async (sub) => {
            handles.delegated = sub.credential?.token;
            await charge.execute({ orderId: '43' });
          });
        },
      );
      await h.writ.close();

      expect(WritError.isInstance(errors[1], 'WRIT_POLICY_DENIED')).toBe(true);
      expect(errors[0]).toBeInstanceOf(Error);
      const credentials = [requesterToken, handles.task, handles.delegated, ...seen];
      // four distinct genuine credentials besides the requester token were really handed out
      expect(new Set(credentials.filter((c) => typeof c === 'string' && c.length > 0)).size).toBe(5);
      const records = await readRecords(join(h.dir, 'audit'));
      expect(records.filter((r) => r.kind === 'decision')).toHaveLength(4);
      expect(records.some((r) => r.credential?.audience === 'https://payments.example.com')).toBe(true);
      expect(watch.spanCount()).toBeGreaterThanOrEqual(4);
      expectAbsent(
        {
          records: await logText(join(h.dir, 'audit')),
          telemetry: watch.emitted(),
          reports: inspect(h.reported, { depth: 8 }),
          errors: inspect(errors, { depth: 8 }),
        },
        credentials.flatMap((c) => secretsOf(c)),
      );
      expect(fileAudit?.verifierKey).toEqual(expect.any(String));
    } finally {
      await h.cleanup();
    }
  });
});

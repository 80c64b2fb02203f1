// Issue 18 items 7, 8, 11 and 16 (size, "__proto__", span status): what a tool gets, what runs when, and
// what is recorded of it.
import { SpanStatusCode } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, instance, MARIA } from './support.js';

const allowAll = [{ id: 'anything', effect: 'allow' as const }];

describe('lazy tools', () => {
  let tracing: TestTracing;
  beforeEach(async () => {
    tracing = await startTestTracing();
  });
  afterEach(() => tracing.shutdown());

  it(
    attack(
      'lazy-async-generator',
      'an async generator tool runs inside the pipeline: its error is the outcome, its credential live, its span open',
    ),
    async () => {
      const { writ, audit, credentials } = instance({
        rules: allowAll,
        writ: { telemetry: { tracer: tracing.tracer } },
      });
      const seen: { revoked: boolean; spanEnded: boolean }[] = [];
      const stream = writ.tool({
        name: 'stream_rows',
        audience: 'https://warehouse.example.com',
        input: z.object({ table: z.string() }),
        async *execute(_args, ctx) {
          yield 'row 1';
          // the body runs later than the call returns when nothing drains it
          const jti = ctx.credential?.jti as string;
          seen.push({ revoked: credentials.isRevoked(jti), spanEnded: !ctx.span.isRecording() });
          throw new Error('warehouse connection lost');
        },
      });
      const result = await writ
        .task({ requester: ALICE, agent: 'analyst' }, async () => {
          const rows: unknown[] = [];
          for await (const row of (await stream.execute({ table: 'orders' })) as AsyncIterable<unknown>)
            rows.push(row);
          return rows;
        })
        .catch((e: unknown) => e);
      expect((result as Error).message).toBe('warehouse connection lost');
      expect(seen).toEqual([{ revoked: false, spanEnded: false }]);
      const [outcome] = audit.ofKind('outcome');
      expect(outcome?.outcome).toMatchObject({ status: 'error', errorCode: 'Error' });
      // the task ended after the body, not before it
      const kinds = audit.events.map((e) => e.kind);
      expect(kinds.indexOf('outcome')).toBeLessThan(kinds.indexOf('task-end'));
    },
  );

  it(
    attack(
      'lazy-readable-stream',
      'a ReadableStream result is read inside the pipeline, and its failure recorded',
    ),
    async () => {
      const { writ, audit } = instance({ rules: allowAll });
      let pulls = 0;
      const report = writ.tool({
        name: 'export_report',
        input: z.object({}),
        execute: () =>
          new ReadableStream<string>({
            pull(controller) {
              pulls += 1;
              if (pulls === 1) controller.enqueue('header');
              else controller.error(new Error('disk read failed'));
            },
          }),
      });
      const chunks: string[] = [];
      const outcome = await writ
        .task({ requester: ALICE, agent: 'analyst' }, async () => {
          const body = (await report.execute({})) as ReadableStream<string>;
          for await (const chunk of body) chunks.push(chunk);
        })
        .catch((e: unknown) => e);
      expect((outcome as Error).message).toBe('disk read failed');
      expect(audit.ofKind('outcome')[0]?.outcome).toMatchObject({ status: 'error' });
    },
  );

  it(
    attack(
      'span-status-echoes-args',
      "a tool error's message (which often echoes arguments) stays out of the span status",
    ),
    async () => {
      const { writ } = instance({ rules: allowAll, writ: { telemetry: { tracer: tracing.tracer } } });
      const charge = writ.tool({
        name: 'charge_card',
        input: z.object({ card: z.string() }),
        execute: async ({ card }) => {
          throw new TypeError(`card ${card} was declined`);
        },
      });
      await writ
        .task({ requester: ALICE, agent: 'billing' }, () => charge.execute({ card: '4111111111111111' }))
        .catch(() => undefined);
      const [span] = tracing.toolSpans();
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(JSON.stringify(span?.status)).not.toContain('4111111111111111');
      expect(JSON.stringify(span?.events)).not.toContain('4111111111111111');
      expect(span?.attributes['error.type']).toBe('TypeError');
    },
  );
});

describe('the arguments a tool gets are the arguments that were decided and recorded', () => {
  it(
    attack(
      'args-mutated-during-approval',
      'arguments changed while the approver decides do not reach the tool',
    ),
    async () => {
      let release: (v: unknown) => void = () => {};
      const answered = new Promise((r) => (release = r));
      const { writ } = instance({
        rules: [{ id: 'refunds', effect: 'approval_required' }],
        writ: {
          approvals: {
            name: 'slow-human',
            requestApproval: async (request) => {
              await answered;
              return { approved: true, approver: MARIA, bindingHash: request.bindingHash };
            },
          },
        },
      });
      const received: unknown[] = [];
      const refund = adaptTool(
        'test',
        { name: 'refund_order' },
        (args) => received.push(structuredClone(args)),
        { writ },
      );
      const args = { orderId: '42', amount: 30 };
      const running = writ.task({ requester: ALICE, agent: 'support' }, () => refund.run(args));
      await new Promise((r) => setTimeout(r, 20));
      args.amount = 90_000; // the caller's live object, mutated while the human reads the request
      release(undefined);
      await running;
      expect(received).toEqual([{ orderId: '42', amount: 30 }]);
    },
  );

  it(
    attack(
      'args-tojson-disguise',
      'an object whose toJSON says one thing and whose fields say another is decided on what the tool gets',
    ),
    async () => {
      const { writ, audit } = instance({ rules: allowAll });
      const received: unknown[] = [];
      const transfer = adaptTool('test', { name: 'transfer' }, (args) => received.push(args), { writ });
      const disguised = { to: 'mallory', amount: 90_000, toJSON: () => ({ to: 'alice', amount: 10 }) };
      const outcome = await writ
        .task({ requester: ALICE, agent: 'bank' }, () => transfer.run(disguised))
        .catch((e: unknown) => e);
      if (WritError.isInstance(outcome)) {
        // refused as not plain data: then nothing ran
        expect(outcome.code).toBe('WRIT_INPUT_INVALID');
        expect(received).toEqual([]);
      } else {
        // or ran on exactly what was recorded
        expect(received).toHaveLength(1);
        const recorded = audit.ofKind('decision')[0]?.call.argsDigest;
        const { digest } = await import('@writ/core/plugin');
        expect(digest(received[0])).toBe(recorded);
        expect(received[0]).not.toHaveProperty('toJSON');
      }
    },
  );

  it(
    attack(
      'args-size',
      'arguments over the configured size are refused (and recorded) before they are canonicalised',
    ),
    async () => {
      const { writ, audit } = instance({ rules: allowAll, writ: { limits: { argsBytes: 64 * 1024 } } });
      let ran = false;
      const store = writ.tool({
        name: 'store_note',
        input: z.object({ text: z.string() }),
        execute: () => (ran = true),
      });
      const error = await writ
        .task({ requester: ALICE, agent: 'notes' }, () => store.execute({ text: 'x'.repeat(1_000_000) }))
        .catch((e: unknown) => e);
      expect(WritError.isInstance(error, 'WRIT_INPUT_INVALID')).toBe(true);
      expect((error as WritError).details).toMatchObject({ reason: 'too_large', limit: 65_536 });
      expect(ran).toBe(false);
      expect(audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_INPUT_INVALID');
      await expect(
        writ.task({ requester: ALICE, agent: 'notes' }, () => store.execute({ text: 'short' })),
      ).resolves.toBe(true);
    },
  );

  it(
    attack(
      'captured-proto-member',
      'a "__proto__" member the tool receives is in the captured arguments, as digested',
    ),
    async () => {
      const { writ, audit } = instance({
        rules: allowAll,
        writ: { capture: { args: true }, redact: ['password'] },
      });
      const received: unknown[] = [];
      const save = adaptTool('test', { name: 'save_settings' }, (args) => received.push(args), { writ });
      const args = JSON.parse('{"__proto__":{"isAdmin":true},"theme":"dark","password":"hunter2"}');
      await writ.task({ requester: ALICE, agent: 'settings' }, () => save.run(args));
      const call = audit.ofKind('decision')[0]?.call;
      expect(Object.hasOwn(received[0] as object, '__proto__')).toBe(true);
      expect(Object.hasOwn(call?.args as object, '__proto__')).toBe(true);
      expect(call?.args).toMatchObject({ theme: 'dark', password: '[REDACTED]' });
    },
  );

  it(
    attack(
      'redact-tojson',
      'redaction reaches fields of objects with toJSON (ORM documents, class instances)',
    ),
    async () => {
      const { writ, audit } = instance({
        rules: allowAll,
        writ: { capture: { args: true, results: true }, redact: ['*.password', '*.card'] },
      });
      class UserDocument {
        constructor(
          readonly name: string,
          readonly password: string,
        ) {}
        toJSON() {
          return { name: this.name, password: this.password };
        }
      }
      const lookup = writ.tool({
        name: 'lookup_user',
        input: z.object({ id: z.string() }),
        execute: async () => ({
          user: new UserDocument('alice', 'hunter2'),
          payment: { card: '4111111111111111' },
        }),
      });
      await writ.task({ requester: ALICE, agent: 'support' }, () => lookup.execute({ id: 'u1' }));
      const line = JSON.stringify(audit.events);
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain('4111111111111111');
    },
  );
});

// Issue 23 item 5b: with `durability: 'async'` a record is fixed and given its index on the caller's
// path, and encoded, hashed and chained later, in a batch. What the log proves must not change: the same
// calls leave the same records, the log verifies, receipts name the records written; and nothing a tool
// or an engine does to its objects after the record was taken reaches the log.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink, type FileAuditSink, leafHash, readVerifiedLog, verifyLog } from '@writ/audit';
import { createWrit, type Principal, type Writ, type WritError } from '@writ/core';
import { RECEIPT_META_KEY } from '@writ/core/adapter';
import type { AuditReceipt, Decision, Durability, PolicyEngine } from '@writ/core/plugin';
import { createInMemoryCredentialBroker } from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { setupTracing, type Tracing } from '../../../packages/core/src/__support__/otel.js';
import { attack } from './attacks.js';
import { mcpWorld, ORDERS } from './mcp-world.js';

const REQUESTER: Principal = { kind: 'human', id: 'alice@example.com', assurance: 'asserted' };

let dir: string;
let tracing: Tracing;
beforeAll(async () => {
  dir = await tempDir('writ-deferred-');
  tracing = setupTracing();
});
afterAll(async () => {
  await tracing.shutdown();
  await rm(dir, { recursive: true, force: true });
});

/** An engine that allows and hands back the request as its evaluated context (kept, to mutate later). */
function keepingEngine(kept: Decision[], extra: (resourceId: string) => object = () => ({})): PolicyEngine {
  return {
    name: 'keeping',
    async decide(request) {
      const decision: Decision = {
        effect: 'allow',
        policyIds: ['allow-all'],
        reasons: ['allowed'],
        decisionId: `d-${kept.length}`,
        engine: 'keeping',
        evaluatedContext: {
          action: request.action,
          notes: { checked: ['scope'] },
          resourceState: extra(request.resource.id),
          // what an engine may hand back as its evaluated context: its own objects, not Writ's request
        } as unknown as Decision['evaluatedContext'],
      };
      kept.push(decision);
      return decision;
    },
  };
}

interface Run {
  readonly writ: Writ;
  readonly sink: FileAuditSink;
  readonly logDir: string;
  readonly errors: WritError[];
  readonly kept: Decision[];
}

async function open(
  name: string,
  durability: Durability,
  extra?: (resourceId: string) => object,
): Promise<Run> {
  const logDir = join(dir, name);
  const errors: WritError[] = [];
  const kept: Decision[] = [];
  const sink = await createFileAuditSink({ dir: join(logDir, 'audit'), keyDir: join(logDir, 'keys') });
  const writ = createWrit({
    service: 'orders',
    policy: keepingEngine(kept, extra),
    audit: sink,
    credentials: createInMemoryCredentialBroker(),
    durability,
    telemetry: { tracer: tracing.tracer },
    onError: (error) => errors.push(error),
  });
  return { writ, sink, logDir, errors, kept };
}

const orderInput = z.object({
  orderId: z.string(),
  meta: z.object({ note: z.string(), tags: z.array(z.string()) }),
});
type OrderArgs = z.infer<typeof orderInput>;

async function recordsOf(run: Run): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(run.logDir, 'audit', '000000000000.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { r: Record<string, unknown> }).r);
}

async function lines(run: Run): Promise<string[]> {
  return (await readFile(join(run.logDir, 'audit', '000000000000.jsonl'), 'utf8')).split('\n').slice(0, -1);
}

describe("records fixed on the caller's path, encoded later (async durability)", () => {
  it('the same calls leave the same record sequence as strict, the log verifies, receipts and spans name the records written', async () => {
    const sequences: string[][] = [];
    for (const durability of ['strict', 'async'] as const) {
      tracing.exporter.reset();
      const run = await open(`same-${durability}`, durability);
      const receipts: AuditReceipt[] = [];
      const lookup = run.writ.tool({
        name: 'lookup_order',
        input: orderInput,
        resource: (args: OrderArgs) => ({ type: 'Order', id: args.orderId }),
        execute: async (args: OrderArgs) => ({ orderId: args.orderId, status: 'shipped' }),
      });
      await run.writ.task({ requester: REQUESTER, agent: 'support', scope: ['*'] }, async () => {
        for (let n = 0; n < 20; n++) {
          await lookup.execute(
            { orderId: `ord_${n}`, meta: { note: 'x', tags: [] } },
            { onReceipt: (receipt) => receipts.push(receipt) },
          );
        }
      });
      await run.writ.close();
      const verified = await verifyLog(join(run.logDir, 'audit'));
      expect(verified).toMatchObject({ ok: true });
      const stored = await lines(run);
      for (const receipt of receipts) {
        expect(receipt.leafHash).toBe(
          leafHash(Buffer.from(stored[receipt.index] as string, 'utf8')).toString('hex'),
        );
        expect((JSON.parse(stored[receipt.index] as string) as { r: { kind: string } }).r.kind).toBe(
          'decision',
        );
      }
      expect(receipts).toHaveLength(20);
      // each call's span carries its decision record's index, set on the call's path
      expect(tracing.toolSpans().map((span) => span.attributes['writ.audit.index'])).toEqual(
        receipts.map((r) => r.index),
      );
      sequences.push(
        (await recordsOf(run)).map(
          (r) =>
            `${r.kind}${r.kind === 'decision' ? `:${(r.call as { resource: { id: string } }).resource.id}` : ''}`,
        ),
      );
      expect(run.errors).toEqual([]);
    }
    const [strict, async] = sequences;
    // checkpoints fall where the time and count say; the records between them are the same, in order
    expect(async?.filter((k) => k !== 'checkpoint')).toEqual(strict?.filter((k) => k !== 'checkpoint'));
  });

  it(
    attack(
      'deferred-record-mutated-after',
      'a tool that mutates the order its resource describes (and its result) after the decision record was taken, and an engine that mutates the decision it returned, change nothing in the log (arguments are frozen already)',
    ),
    async () => {
      const run = await open('mutated', 'async');
      // the application's own state: the resource describes an order the tool then changes
      const orders = new Map([['ord_1', { note: 'as asked', tags: ['a'] }]]);
      const held: { args?: OrderArgs; result?: { status: string } } = {};
      const lookup = run.writ.tool({
        name: 'lookup_order',
        input: orderInput,
        resource: (args: OrderArgs) => ({
          type: 'Order',
          id: args.orderId,
          properties: { order: orders.get(args.orderId) },
        }),
        execute: async (args: OrderArgs) => {
          held.args = args;
          expect(Object.isFrozen(args.meta)).toBe(true);
          held.result = { status: 'shipped' };
          return held.result;
        },
      });
      await run.writ.task({ requester: REQUESTER, agent: 'support', scope: ['*'] }, async () => {
        await lookup.execute({ orderId: 'ord_1', meta: { note: 'as asked', tags: ['a'] } });
        // after the call returned, before the log's batch ran: the tool and the engine change their objects
        const order = orders.get('ord_1') as { note: string; tags: string[] };
        order.note = 'rewritten';
        order.tags.push('forged');
        (held.result as { status: string }).status = 'refunded';
        const evaluated = run.kept[0]?.evaluatedContext as unknown as { notes: { checked: string[] } };
        evaluated.notes.checked.push('forged');
      });
      await run.writ.close();
      expect(await verifyLog(join(run.logDir, 'audit'))).toMatchObject({ ok: true });
      const text = (await lines(run)).join('\n');
      expect(text).toContain('"note":"as asked"');
      expect(text).not.toContain('rewritten');
      expect(text).not.toContain('forged');
      expect(text).not.toContain('refunded');
    },
  );

  it(
    attack(
      'deferred-record-hostile-value',
      "a value in a record that cannot be encoded (an engine's getter that throws) is caught on the caller's path: the tool does not run, the refusal is recorded, the log verifies; a toJSON answering from state changed after the call is recorded as it answered then",
    ),
    async () => {
      const state = { owner: 'alice' };
      const run = await open('hostile', 'async', (id) =>
        id === 'ord_throw'
          ? Object.defineProperty({}, 'owner', {
              enumerable: true,
              get() {
                throw new Error('hostile getter');
              },
            })
          : { owner: { toJSON: () => state.owner } },
      );
      let ran = 0;
      const lookup = run.writ.tool({
        name: 'lookup_order',
        input: orderInput,
        resource: (args: OrderArgs) => ({ type: 'Order', id: args.orderId }),
        execute: async () => {
          ran++;
          return { status: 'shipped' };
        },
      });
      await run.writ.task({ requester: REQUESTER, agent: 'support', scope: ['*'] }, async () => {
        await expect(
          lookup.execute({ orderId: 'ord_throw', meta: { note: '', tags: [] } }),
        ).rejects.toMatchObject({
          code: 'WRIT_AUDIT_UNAVAILABLE',
        });
        expect(ran).toBe(0);
        await lookup.execute({ orderId: 'ord_tojson', meta: { note: '', tags: [] } });
        expect(ran).toBe(1);
        state.owner = 'mallory';
      });
      await run.writ.close();
      expect(await verifyLog(join(run.logDir, 'audit'))).toMatchObject({ ok: true });
      const records = await recordsOf(run);
      const outcomes = records
        .filter((r) => r.kind === 'outcome')
        .map((r) => (r.outcome as { status: string }).status);
      expect(outcomes).toEqual(['refused', 'ok']);
      const decisions = records.filter((r) => r.kind === 'decision');
      expect(decisions).toHaveLength(1);
      expect(JSON.stringify(decisions[0])).toContain('"owner":"alice"');
      expect(JSON.stringify(records)).not.toContain('mallory');
      expect(run.errors).toEqual([]);
    },
  );

  it('an MCP tool server with async durability returns receipts naming the records its log holds', async () => {
    const w = await mcpWorld({ durability: 'async' });
    try {
      const client = w.instrumentedClient(ORDERS);
      await w.connect(w.ordersServer(), client);
      const results = await w.asAlice(async () => {
        const out = [];
        for (const orderId of ['1', '2', '3'])
          out.push(await client.callTool({ name: 'lookup_order', arguments: { orderId } }));
        return out;
      });
      await w.close();
      const receipts = results.map((r) => r._meta?.[RECEIPT_META_KEY] as AuditReceipt);
      const log = await readVerifiedLog(w.serverLog);
      expect(log.verification?.ok).toBe(true);
      for (const receipt of receipts) {
        const stored = log.records[receipt.index];
        expect(stored?.record?.kind).toBe('decision');
        expect(receipt.leafHash).toBe(stored?.leafHash);
        expect(receipt.log).toBe(log.verification?.origin);
      }
      expect(new Set(receipts.map((r) => r.index)).size).toBe(3);
    } finally {
      await w.cleanup();
    }
  });
});

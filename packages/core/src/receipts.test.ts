import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WritError } from './errors.js';
import type { AuditReceipt } from './interfaces.js';
import {
  calleeHeaders,
  formatReceiptHeader,
  parseReceiptHeader,
  parseRefusalHeader,
  RECEIPT_HEADER,
  REFUSAL_HEADER,
  recordRemoteCall,
} from './receipts.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from './testing/index.js';
import { createWrit } from './writ.js';

const leaf = 'ab'.repeat(32);
const receipt: AuditReceipt = { log: 'orders.example/audit/"1"\\x', index: 12, leafHash: leaf };

function setUp() {
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    policy: createInMemoryPolicy({ rules: [{ effect: 'deny', tool: 'refund' }], fallback: 'allow' }),
    audit,
  });
  return { audit, writ };
}

describe('receipts: the callee side (onReceipt)', () => {
  it('hands over the receipt of the decision record, allowed (before the tool runs) or refused', async () => {
    const { audit, writ } = setUp();
    const got: AuditReceipt[] = [];
    let beforeTool: number | undefined;
    const lookup = writ.tool({
      name: 'lookup',
      input: z.object({}),
      execute: async () => {
        beforeTool = got.length;
        return 'ok';
      },
    });
    const refund = writ.tool({ name: 'refund', input: z.object({}), execute: async () => 'no' });
    await writ.task({ agent: 'orders' }, async () => {
      await lookup.execute({}, { onReceipt: (r) => got.push(r) });
      await expect(refund.execute({}, { onReceipt: (r) => got.push(r) })).rejects.toMatchObject({
        code: 'WRIT_POLICY_DENIED',
      });
    });
    expect(beforeTool).toBe(1);
    const decisions = audit.events.flatMap((e, index) => (e.kind === 'decision' ? [index] : []));
    expect(got.map((r) => r.index)).toEqual(decisions);
    expect(got.every((r) => /^[0-9a-f]{64}$/.test(r.leafHash) && r.log === 'memory')).toBe(true);
  });

  it('an onReceipt that throws is reported, never the call’s failure', async () => {
    const errors: WritError[] = [];
    const writ = createWrit({
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit: createInMemoryAuditSink(),
      onError: (e) => errors.push(e),
    });
    const tool = writ.tool({ name: 'lookup', input: z.object({}), execute: async () => 'ok' });
    const result = await writ.task({ agent: 'a' }, () =>
      tool.execute(
        {},
        {
          onReceipt: () => {
            throw new Error('boom');
          },
        },
      ),
    );
    expect(result).toBe('ok');
    expect(errors.map((e) => e.message)).toContain('onReceipt threw');
  });
});

describe('receipts: the caller side (recordRemoteCall → outcome.remote)', () => {
  it('records what a callee returned in the running call’s outcome, malformed parts as problems', async () => {
    const { audit, writ } = setUp();
    const tool = writ.tool({
      name: 'lookup',
      input: z.object({}),
      execute: async () => {
        recordRemoteCall({ via: 'mcp', by: 'https://orders/mcp', tool: 'lookup_order', receipt });
        recordRemoteCall({
          via: 'http',
          by: 'https://orders',
          receipt: { log: 'x', index: -1, leafHash: leaf },
          refusal: { code: 'WRIT_POLICY_DENIED', message: 'no', extra: 'dropped' },
        });
        recordRemoteCall({ via: 'http', by: 'https://orders', refusal: { code: 'drop table' } });
        return 'ok';
      },
    });
    expect(recordRemoteCall({ via: 'mcp', by: 'x', receipt })).toBeUndefined(); // no call to record it in
    await writ.task({ agent: 'a' }, () => tool.execute({}));
    const [outcome] = audit.ofKind('outcome');
    expect(outcome?.outcome.remote).toEqual([
      { by: 'https://orders/mcp', receipt, tool: 'lookup_order', via: 'mcp' },
      {
        by: 'https://orders',
        problem: 'receipt: index is not a record index',
        refusal: { code: 'WRIT_POLICY_DENIED', message: 'no' },
        via: 'http',
      },
      { by: 'https://orders', problem: 'refusal: code is not a refusal code (A-Z, 0-9, _)', via: 'http' },
    ]);
    // the caller's own decision and outcome stay its own
    expect(audit.ofKind('decision')[0]?.refusal).toBeUndefined();
    expect(outcome?.outcome.status).toBe('ok');
  });

  it('nothing is added once the outcome is recorded', async () => {
    const { audit, writ } = setUp();
    let late: (() => unknown) | undefined;
    const tool = writ.tool({
      name: 'lookup',
      input: z.object({}),
      execute: async () => {
        late = () => recordRemoteCall({ via: 'mcp', by: 'x', receipt });
        return 'ok';
      },
    });
    await writ.task({ agent: 'a' }, () => tool.execute({}));
    expect(late?.()).toBeUndefined();
    expect(audit.ofKind('outcome')[0]?.outcome.remote).toBeUndefined();
  });
});

describe('receipts: the HTTP headers', () => {
  it('round-trip, quotes and backslashes escaped', () => {
    const value = formatReceiptHeader(receipt);
    expect(value).toBe(`log="orders.example/audit/\\"1\\"\\\\x", index=12, leaf-hash="${leaf}"`);
    expect(parseReceiptHeader(value)).toEqual(receipt);
    expect(calleeHeaders({ receipt, refusal: new WritError('WRIT_POLICY_DENIED', 'no') })).toEqual({
      [RECEIPT_HEADER]: value,
      [REFUSAL_HEADER]: 'code="WRIT_POLICY_DENIED"',
    });
    expect(parseRefusalHeader('code="WRIT_POLICY_DENIED"')).toEqual({ code: 'WRIT_POLICY_DENIED' });
  });

  it.each([
    ['', 'log is not a log origin'],
    ['log="a", index=-1, leaf-hash="x"', 'index is not a record index'],
    [`log="a", index=1, leaf-hash="${'AB'.repeat(32)}"`, 'leafHash is not a SHA-256 hash (64 hex digits)'],
    [`log="a" index=1, leaf-hash="${leaf}"`, 'members are not comma-separated'],
    [`log="é", index=1, leaf-hash="${leaf}"`, 'string holds a character outside printable ASCII'],
    [`log="a\\n", index=1, leaf-hash="${leaf}"`, 'bad escape in string'],
    [`log="a, index=1`, 'unterminated string'],
    [`log=?1, index=1, leaf-hash="${leaf}"`, 'member log is neither a string nor an integer'],
    [`Log="a"`, 'not a structured-field dictionary'],
  ])('a hostile header %j is not a receipt: %s', (value, why) => {
    expect(parseReceiptHeader(value)).toBe(why);
  });

  it('refuses to format what is not a receipt', () => {
    expect(() => formatReceiptHeader({ log: 'a\nb', index: 0, leafHash: leaf })).toThrow(/receipt: log/);
    expect(parseRefusalHeader('code="drop table"')).toMatch(/not a refusal code/);
  });
});

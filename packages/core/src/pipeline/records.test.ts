import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
import { createCredential, toCredentialRef } from '../credential.js';
import { WritError } from '../errors.js';
import type { AuditSink } from '../interfaces.js';
import { toPrincipalRef } from '../principal.js';
import { ALICE_ATTRIBUTION, callRun } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import {
  appendEvent,
  appendQuietly,
  approvalEvent,
  decisionEvent,
  outcomeEvent,
  principalRefs,
  redactedJson,
  revocationEvent,
  taskEndEvent,
  taskStartEvent,
} from './records.js';

const credential = createCredential({
  token: 'secret-token',
  jti: 'jti-1',
  type: 'jwt',
  audience: 'https://payments',
  scope: ['*'],
  expiresAt: 1_900_000_000_000,
});

async function everyKind() {
  const { run, config } = callRun({
    writ: { capture: { args: true, results: true }, redact: ['card'] },
    args: { orderId: '42', amount: 30, card: '4111' },
    tool: { name: 'refund_order' },
  });
  await validate(run);
  run.decision = {
    effect: 'approval_required',
    policyIds: ['p'],
    reasons: ['r'],
    decisionId: 'd-1',
    engine: 'e',
    evaluatedContext: {} as never,
    obligations: [{ attributes: {}, id: 'o' }] as never,
  };
  run.credential = credential;
  const approval = {
    approved: true,
    approver: toPrincipalRef({ kind: 'human', id: 'bob', assurance: 'verified' }),
    bindingHash: 'sha256:x',
    expiresAt: 5,
    reason: 'ok',
  };
  run.approvalRecord = approval;
  const refusal = new WritError('WRIT_APPROVAL_REJECTED', 'no', {
    details: { why: 'declined', tool: 'refund_order' },
  });
  return {
    run,
    records: [
      taskStartEvent(config, {
        ...ALICE_ATTRIBUTION,
        credential: toCredentialRef({ ...credential, jti: 'task-jti' }),
      }),
      taskStartEvent(config, ALICE_ATTRIBUTION, refusal),
      decisionEvent(run, undefined),
      decisionEvent(run, refusal),
      approvalEvent(run, approval, 'd-1'),
      (() => {
        // what a callee returned (receipts both ways), in the order recordRemoteCall builds it
        run.remote.push({
          by: 'https://orders.example/mcp',
          receipt: { index: 7, leafHash: 'ab'.repeat(32), log: 'orders.example/audit/1' },
          refusal: { code: 'WRIT_POLICY_DENIED', message: 'denied' },
          tool: 'refund_order',
          via: 'mcp',
        });
        return outcomeEvent(run, 'ok', 1.5, undefined, { refunded: 30, card: '4111' });
      })(),
      outcomeEvent(run, 'refused', 0.1, 'WRIT_APPROVAL_REJECTED', undefined),
      revocationEvent(config, ALICE_ATTRIBUTION, [credential], 'task-end'),
      taskEndEvent(config, ALICE_ATTRIBUTION, 'error', 'Error', 12),
      taskEndEvent(config, ALICE_ATTRIBUTION, 'ok', undefined, 3, [credential]),
    ],
  };
}

describe('records', () => {
  it('every kind is built with its keys in canonical order (serialises on the fast path, same bytes)', async () => {
    const { records } = await everyKind();
    expect(new Set(records.map((r) => r.kind)).size).toBe(6);
    for (const record of records) {
      expect(JSON.stringify(record), record.kind).toBe(canonicalJson(record));
    }
  });

  it('leaves out undefined fields and never carries a credential token', async () => {
    const { records } = await everyKind();
    for (const record of records) {
      const line = canonicalJson(record);
      expect(line).not.toContain('secret-token');
      expect(Object.values(record)).not.toContain(undefined);
    }
    const [started, refused] = records;
    expect(started).toMatchObject({ kind: 'task-start', status: 'started', credential: { jti: 'task-jti' } });
    expect(started).not.toHaveProperty('refusal');
    expect(refused).toMatchObject({
      status: 'refused',
      refusal: { code: 'WRIT_APPROVAL_REJECTED', details: { tool: 'refund_order', why: 'declined' } },
    });
    expect(refused).not.toHaveProperty('credential');
  });

  it('captured arguments and results are redacted; digests are of the real values', async () => {
    const { records } = await everyKind();
    const decision = records[2] as { call: { args: unknown; argsDigest: string } };
    expect(decision.call.args).toEqual({ amount: 30, card: '[REDACTED]', orderId: '42' });
    const outcome = records[5] as { outcome: { result: unknown; resultDigest: string } };
    expect(outcome.outcome.result).toEqual({ card: '[REDACTED]', refunded: 30 });
    expect(outcome.outcome.resultDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(redactedJson(callRun().config, () => 1)).toBe('"[unserialisable]"');
  });

  it('principal references are built once per attribution and frozen', () => {
    const a = principalRefs(ALICE_ATTRIBUTION);
    expect(principalRefs(ALICE_ATTRIBUTION)).toBe(a);
    expect(Object.isFrozen(a.chain)).toBe(true);
    expect(a.requester).toEqual({ kind: 'human', id: 'alice@example.com', assurance: 'verified' });
  });

  it('appendEvent: no sink, a failing sink, a stalled sink or a receipt-less sink are WRIT_AUDIT_UNAVAILABLE', async () => {
    const { records } = await everyKind();
    const event = records[2] as never;
    const none = callRun({ writ: { audit: undefined } }).config;
    await expect(appendEvent({ ...none, audit: undefined }, event)).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
    });
    const sinks: AuditSink[] = [
      {
        name: 'failing',
        append: async () => {
          throw new Error('disk full');
        },
      },
      { name: 'stalled', append: () => new Promise(() => {}) },
      { name: 'mute', append: async () => undefined as never },
    ];
    for (const audit of sinks) {
      const { config } = callRun({ writ: { audit, timeouts: { auditMs: 20 } } });
      await expect(appendEvent(config, event), audit.name).rejects.toMatchObject({
        code: 'WRIT_AUDIT_UNAVAILABLE',
      });
    }
  });

  it('appendEvent keeps strict for records that precede an action, batched for records after it', async () => {
    const seen: [string, string][] = [];
    const { config } = callRun({
      writ: {
        durability: 'strict',
        audit: {
          name: 's',
          append: async (e, o) => {
            seen.push([e.kind, o.durability]);
            return { log: 'l', index: seen.length, leafHash: 'h' };
          },
        },
      },
    });
    const { records } = await everyKind();
    for (const r of records) await appendEvent(config, r);
    expect(Object.fromEntries(seen)).toEqual({
      'task-start': 'strict',
      decision: 'strict',
      approval: 'strict',
      outcome: 'batched',
      revocation: 'batched',
      'task-end': 'batched',
    });
  });

  it('appendQuietly reports a failure instead of throwing it', async () => {
    const reported: WritError[] = [];
    const { config } = callRun({
      writ: {
        audit: {
          name: 'down',
          append: async () => {
            throw new Error('down');
          },
        },
        onError: (e) => reported.push(e),
      },
    });
    const { records } = await everyKind();
    await expect(appendQuietly(config, records[8] as never)).resolves.toBeUndefined();
    expect(reported.map((e) => e.code)).toEqual(['WRIT_AUDIT_UNAVAILABLE']);
  });
});

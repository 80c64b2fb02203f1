// Issue 9 item 7 (leaks, approval replay, scope widening), through the zero-config runtime.
//
// Leaks: secrets in tool arguments (password, IBAN, PIN) and every credential (requester token, a tampered
// copy of it, task tokens, per-audience credentials read by the tool as ctx.credential.token) are searched
// for in every byte Writ emits: every span (real OTel SDK), every file under the Writ directory (the
// audit log, its checkpoint, metadata), every OTel log record (real OTel logs SDK, via the OTel log sink
// teed beside the file sink), every diag message and onError report, and every error thrown to the caller
// (message, details, JSON, stack, causes). Three modes: default (nothing captured), capture opted in
// (arguments must then appear — a positive control for the scan — but credentials still never), and
// capture with redaction.
//
// Approval replay and scope widening: each attempt is refused with a typed code, the tool never runs, and
// the refusal is in the audit log (read back with readLines; the log verifies deeply with its pinned key).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { createFileAuditSink, createOtelLogSink, teeAuditSink } from '@writ/audit';
import { type ApprovalHandler, type Principal, WritError, type WritErrorCode } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import type { ApprovalResponse } from '@writ/core/plugin';
import {
  createCredentialBroker,
  createLocalAuthority,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TOKEN_TYPES,
  verifyTaskToken,
} from '@writ/identity';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { createApprovalQueue } from '@writ/policy';
import type { TokenExchangeContext } from 'oidc-provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import { startOp, type TestOp } from '../../../packages/identity/src/oidc/__support__/op.js';
import {
  filesUnder,
  findSecrets,
  readRecords,
  removeDir,
  type StoredRecord,
  tempDir,
  verifyDeep,
} from './support.js';

const BOSS: Principal = { kind: 'human', id: 'maria@example.com', assurance: 'verified' };
const AUD = 'https://auth.example';

/** Totals for the report, asserted at the end of each describe. */
const totals = {
  leakCases: 0,
  leakHits: 0,
  bytesScanned: 0,
  replayTried: 0,
  replayRefused: 0,
  replayLost: 0,
  widenTried: 0,
  widenRefused: 0,
  widenLost: 0,
};

let dir: string;
let tracing: TestTracing;
beforeEach(async () => {
  dir = await tempDir('writ-hardening-leaks-');
  tracing = startTestTracing();
});
afterEach(async () => {
  await tracing.shutdown();
  diag.disable();
  await removeDir(dir);
});

/** Every byte of a span: name, attributes, status, events, links, resource. */
function spanText(span: ReturnType<TestTracing['spans']>[number]): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links,
    resource: span.resource.attributes,
  });
}

/** Every byte of an error, its details and its causes. */
function errorText(error: unknown, depth = 0): string {
  if (error === undefined || error === null || depth > 5) return '';
  if (typeof error !== 'object') return String(error);
  const e = error as Error & { details?: unknown; cause?: unknown };
  let json = '';
  try {
    json = JSON.stringify(e);
  } catch {
    json = '';
  }
  return [
    String(e),
    e.message,
    e.stack,
    json,
    JSON.stringify(e.details ?? null),
    errorText(e.cause, depth + 1),
  ].join('\n');
}

type Mode = 'default' | 'captured' | 'captured+redacted';

describe('leaks: secrets in arguments and credentials never leave through Writ', () => {
  it.each<Mode>(['default', 'captured', 'captured+redacted'])(
    'mode %s: every emitted byte scanned',
    async (mode) => {
      const captured = mode !== 'default';
      const redacted = mode === 'captured+redacted';
      const exporter = new InMemoryLogRecordExporter();
      const logs = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] });
      const diagnostics: string[] = [];
      const keep = (...args: unknown[]) => diagnostics.push(args.map((a) => errorText(a)).join(' '));
      diag.setLogger({ error: keep, warn: keep, info: keep, debug: keep, verbose: keep }, DiagLogLevel.ALL);
      const reported: WritError[] = [];

      // the embedded file sink (as zero config builds it), teed to the OTel logs sink
      const file = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
      const approvals: ApprovalHandler = {
        name: 'declines',
        requestApproval: async (request) => ({
          approved: false,
          approver: BOSS,
          bindingHash: request.bindingHash,
          reason: 'not today',
        }),
      };
      const writ = createWrit({
        dir,
        audit: teeAuditSink(file, createOtelLogSink({ logger: logs.getLogger('writ-audit') })),
        approvals,
        onError: (e) => reported.push(e),
        ...(captured
          ? {
              capture: { args: true, results: true },
              telemetry: { recordInputs: true, recordOutputs: true },
            }
          : {}),
        ...(redacted ? { redact: ['password', 'pin', 'iban', '*.password'] } : {}),
      });
      const { localIdentity } = await writ.ready();
      if (localIdentity === undefined) throw new Error('zero config expected');

      const password = `pw-${randomUUID()}`;
      const iban = `IBAN-${randomUUID()}`;
      const pin = `pin-${randomUUID()}`;
      const requesterToken = await localIdentity.issueRequesterToken({ sub: 'alice@example.com' });
      const [h, p, sig] = requesterToken.split('.') as [string, string, string];
      const flipped = sig[10] === 'A' ? 'B' : 'A';
      const tamperedToken = `${h}.${p}.${sig.slice(0, 10)}${flipped}${sig.slice(11)}`;
      const credentialTokens: string[] = [];
      const ran: string[] = [];
      const errors: unknown[] = [];
      const scope = ['auth:*', 'payments:*', 'orders:*'];

      const loginCheck = writ.tool({
        name: 'login_check',
        permission: 'auth:check',
        risk: 'low',
        audience: AUD,
        input: z.object({
          user: z.string(),
          password: z.string(),
          nested: z.object({ password: z.string() }),
        }),
        execute: async (_args, ctx) => {
          ran.push('login_check');
          credentialTokens.push(ctx.credential?.token ?? '');
          // a careless tool hands back its credential and attribution: the token must still not leave
          return { ok: true, credential: ctx.credential, who: ctx.attribution };
        },
      });
      const setPin = writ.tool({
        name: 'set_pin',
        permission: 'auth:pin',
        risk: 'low',
        input: z.object({ user: z.string(), pin: z.number() }),
        execute: async () => ran.push('set_pin'),
      });
      const purge = writ.tool({
        name: 'purge_customer',
        permission: 'customers:delete',
        input: z.object({ password: z.string() }),
        execute: async () => ran.push('purge_customer'),
      });
      const wire = writ.tool({
        name: 'wire_money',
        permission: 'payments:wire',
        risk: 'high',
        input: z.object({ iban: z.string(), password: z.string() }),
        execute: async () => ran.push('wire_money'),
      });
      const flaky = writ.tool({
        name: 'flaky',
        permission: 'orders:sync',
        risk: 'low',
        input: z.object({ password: z.string() }),
        execute: async () => {
          ran.push('flaky');
          throw new Error('backend unavailable');
        },
      });

      const attempt = async (fn: () => Promise<unknown>, code?: WritErrorCode) => {
        totals.leakCases++;
        try {
          await fn();
          if (code !== undefined) throw new Error(`expected ${code}`);
        } catch (error) {
          errors.push(error);
          if (code !== undefined) expect(WritError.isInstance(error, code), errorText(error)).toBe(true);
        }
      };
      let taskToken = '';
      let delegatedToken = '';
      await writ.task(
        { requester: requesterToken, agent: 'support', intent: 'check the login', scope },
        async (task) => {
          taskToken = task.credential?.token ?? '';
          await attempt(() => loginCheck.execute({ user: 'alice', password, nested: { password } }));
          await attempt(
            () => setPin.execute({ user: 'alice', pin: pin as unknown as number }),
            'WRIT_INPUT_INVALID',
          );
          await attempt(() => purge.execute({ password }), 'WRIT_POLICY_DENIED');
          await attempt(() => wire.execute({ iban, password }), 'WRIT_APPROVAL_REJECTED');
          await attempt(() => flaky.execute({ password }));
          await attempt(() =>
            writ.delegate({ agent: 'helper', scope: ['auth:*'] }, (sub) => {
              delegatedToken = sub.credential?.token ?? '';
              return loginCheck.execute({ user: 'bob', password, nested: { password } });
            }),
          );
        },
      );
      await attempt(
        () =>
          writ.task({ requester: tamperedToken, agent: 'support' }, () =>
            loginCheck.execute({ user: 'x', password, nested: { password } }),
          ),
        'WRIT_TOKEN_INVALID',
      );
      await writ.close();
      await logs.forceFlush();

      expect(ran).toEqual(['login_check', 'flaky', 'login_check']);
      expect(credentialTokens.every((t) => t.length > 100)).toBe(true);
      expect(taskToken.length).toBeGreaterThan(100);
      expect(delegatedToken.length).toBeGreaterThan(100);
      const verdict = await verifyDeep(join(dir, 'audit'), file.verifierKey);
      expect(verdict.ok, verdict.reason).toBe(true);

      // the haystacks: everything Writ emitted
      const files = await filesUnder(dir);
      const spans = tracing.spans().map((s) => ({ label: `span ${s.name}`, bytes: spanText(s) }));
      const logRecords = exporter.getFinishedLogRecords().map((r) => ({
        label: `log record ${r.eventName}`,
        bytes: JSON.stringify({
          body: r.body,
          attributes: r.attributes,
          eventName: r.eventName,
          severity: r.severityText,
        }),
      }));
      await logs.shutdown();
      const fileStacks = files.map((f) => ({ label: `file ${f.path.slice(dir.length)}`, bytes: f.bytes }));
      const errorStacks = [
        ...errors.map((e, i) => ({ label: `error ${i}`, bytes: errorText(e) })),
        ...reported.map((e, i) => ({ label: `onError ${i}`, bytes: errorText(e) })),
        ...diagnostics.map((d, i) => ({ label: `diag ${i}`, bytes: d })),
      ];
      // six tool calls ran through the pipeline (the task with the tampered token never started)
      expect(tracing.toolSpans()).toHaveLength(6);
      // (a revocation at task end rides on the task-end record: 4 records fewer than when each had its own)
      expect(logRecords.length).toBeGreaterThanOrEqual(18);
      expect(errors.length).toBe(5);
      for (const all of [spans, logRecords, fileStacks, errorStacks])
        for (const x of all) totals.bytesScanned += Buffer.byteLength(x.bytes as string);

      // credentials: never, in any mode, in any channel (whole tokens, and their payload and signature)
      const credentials = [
        requesterToken,
        tamperedToken,
        taskToken,
        delegatedToken,
        ...credentialTokens,
      ].flatMap((t) => {
        const parts = t.split('.');
        return [t, parts[1] as string, parts[2] as string];
      });
      const credentialHits = findSecrets(
        [...spans, ...logRecords, ...fileStacks, ...errorStacks],
        credentials,
      );
      expect(credentialHits).toEqual([]);
      totals.leakHits += credentialHits.length;

      // arguments: never in errors; in spans, records and log records only when capture is opted in
      const args = [password, iban, pin];
      const errorHits = findSecrets(errorStacks, args);
      expect(errorHits).toEqual([]);
      const emitted = findSecrets([...spans, ...logRecords, ...fileStacks], args);
      if (!captured || redacted) {
        expect(emitted).toEqual([]);
        totals.leakHits += emitted.length + errorHits.length;
      }
      if (captured && !redacted) {
        // positive control: the scan does find arguments where they were opted in, in every channel
        expect(findSecrets(spans, [password])).not.toEqual([]);
        expect(findSecrets(fileStacks, [password, iban, pin])).toHaveLength(3);
        expect(findSecrets(logRecords, [password])).not.toEqual([]);
      }
      if (redacted) {
        expect(spans.some((s) => (s.bytes as string).includes('[REDACTED]'))).toBe(true);
        expect(fileStacks.some((f) => f.bytes.includes('[REDACTED]'))).toBe(true);
      }
      const records = await readRecords(join(dir, 'audit'));
      const decisions = records.filter((r) => r.kind === 'decision');
      expect(decisions.map((d) => d.refusal?.code ?? d.decision.effect)).toEqual([
        'allow',
        'WRIT_INPUT_INVALID',
        'WRIT_POLICY_DENIED',
        'WRIT_APPROVAL_REJECTED',
        'allow',
        'allow',
      ]);
      expect(records.find((r) => r.kind === 'task-start' && r.status === 'refused')?.refusal.code).toBe(
        'WRIT_TOKEN_INVALID',
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// approval replay

describe('approval replay is refused and audited', () => {
  it('an approval bound to one call is refused for another (other args, same args, queue, framework)', async () => {
    let stored: ApprovalResponse | undefined;
    const asked: string[] = [];
    const replaying: ApprovalHandler = {
      name: 'replaying',
      requestApproval: async (request) => {
        asked.push(request.bindingHash);
        // the first answer is genuine; every later call is handed that same answer again
        stored ??= { approved: true, approver: BOSS, bindingHash: request.bindingHash };
        return stored;
      },
    };
    const writ = createWrit({ dir, approvals: replaying });
    const { fileAudit } = await writ.ready();
    const ran: number[] = [];
    const callIds: string[] = [];
    const refund = writ.tool({
      name: 'refund_order',
      permission: 'payments:refund',
      risk: 'high',
      input: z.object({ amount: z.number() }),
      execute: async ({ amount }, ctx) => {
        callIds.push(ctx.call.id);
        ran.push(amount);
        return amount;
      },
    });
    const refused: { error: unknown; why: string }[] = [];
    await writ.task({ agent: 'support', scope: ['payments:*'] }, async () => {
      expect(await refund.execute({ amount: 10 })).toBe(10);
      for (const amount of [9_000, 10]) {
        // 9,000: other arguments; 10: identical arguments, but another call (another decision)
        refused.push({
          error: await refund.execute({ amount }).catch((e: unknown) => e),
          why: `replayed for ${amount}`,
        });
      }
    });
    await writ.close();
    expect(asked).toHaveLength(3);
    expect(new Set(asked).size).toBe(3); // every call had its own binding
    expect(ran).toEqual([10]);
    const records = await readRecords(join(dir, 'audit'));
    const decisions = records.filter((r) => r.kind === 'decision');
    expect(decisions).toHaveLength(3);
    for (const [k, { error }] of refused.entries()) {
      totals.replayTried++;
      const record = decisions[k + 1] as StoredRecord;
      const ok =
        WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED') &&
        (error as WritError).details.why === 'the answer is bound to another call' &&
        record.refusal?.code === 'WRIT_APPROVAL_REJECTED' &&
        record.decision.effect === 'approval_required';
      expect(ok, errorText(error)).toBe(true);
      if (ok) totals.replayRefused++;
    }
    // no approval record was written for a replayed answer: only the genuine one
    expect(records.filter((r) => r.kind === 'approval')).toHaveLength(1);
    expect((await verifyDeep(join(dir, 'audit'), fileAudit?.verifierKey)).ok).toBe(true);
  });

  it('an approval queue answer is single-use and names one call; the other call is withdrawn, refused and audited', async () => {
    const queue = createApprovalQueue();
    const writ = createWrit({ dir, approvals: queue, timeouts: { approvalMs: 300 } });
    const { fileAudit } = await writ.ready();
    const ran: number[] = [];
    const refund = writ.tool({
      name: 'refund_order',
      permission: 'payments:refund',
      risk: 'high',
      input: z.object({ amount: z.number() }),
      execute: async ({ amount }) => ran.push(amount),
    });
    await writ.task({ agent: 'support', scope: ['payments:*'] }, async () => {
      const a = refund.execute({ amount: 10 });
      const pendingA = await queue.next();
      queue.answer(pendingA.id, { approved: true, approver: BOSS });
      await a;
      const b = refund.execute({ amount: 9_000 }).catch((e: unknown) => e);
      const pendingB = await queue.next();
      expect(pendingB.id).not.toBe(pendingA.id);
      totals.replayTried++;
      let replay: unknown;
      try {
        queue.answer(pendingA.id, { approved: true, approver: BOSS });
      } catch (error) {
        replay = error;
      }
      const refusedB = await b;
      const ok =
        WritError.isInstance(replay, 'WRIT_APPROVAL_REJECTED') &&
        WritError.isInstance(refusedB, 'WRIT_APPROVAL_REJECTED');
      expect(ok).toBe(true);
      if (ok) totals.replayRefused++;
    });
    await writ.close();
    expect(ran).toEqual([10]);
    const decisions = (await readRecords(join(dir, 'audit'))).filter((r) => r.kind === 'decision');
    expect(decisions.map((d) => d.refusal?.code)).toEqual([undefined, 'WRIT_APPROVAL_REJECTED']);
    expect((await verifyDeep(join(dir, 'audit'), fileAudit?.verifierKey)).ok).toBe(true);
  });

  it('a framework approval is honoured only for the call Writ asked it for', async () => {
    const writ = createWrit({ dir });
    const { fileAudit } = await writ.ready();
    const ran: string[] = [];
    const refund = adaptTool(
      'test-framework',
      { name: 'refund_order', input: z.object({ orderId: z.string() }) },
      async (args) => ran.push((args as { orderId: string }).orderId),
      { writ, defaults: { risk: 'high', permission: 'payments:refund' } },
    );
    const attempts: unknown[] = [];
    await writ.task({ agent: 'support', scope: ['payments:*'] }, async () => {
      // never asked through Writ
      attempts.push(
        await refund
          .run({ orderId: '42' }, { toolCallId: 'call-9', approval: { approved: true, approver: BOSS } })
          .catch((e: unknown) => e),
      );
      // asked for order 42, approval used for order 999 under the same tool call id
      const check = await refund.check({ orderId: '42' }, { toolCallId: 'call-2' });
      expect(check.effect).toBe('approval_required');
      attempts.push(
        await refund
          .run({ orderId: '999' }, { toolCallId: 'call-2', approval: { approved: true, approver: BOSS } })
          .catch((e: unknown) => e),
      );
    });
    await writ.close();
    expect(ran).toEqual([]);
    const decisions = (await readRecords(join(dir, 'audit'))).filter((r) => r.kind === 'decision');
    for (const error of attempts) {
      totals.replayTried++;
      const ok = WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED');
      expect(ok, errorText(error)).toBe(true);
      if (ok) totals.replayRefused++;
    }
    expect(decisions.map((d) => d.refusal?.code)).toEqual([
      'WRIT_APPROVAL_REJECTED',
      'WRIT_APPROVAL_REJECTED',
    ]);
    expect((await verifyDeep(join(dir, 'audit'), fileAudit?.verifierKey)).ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// scope widening

describe('scope widening is refused and audited', () => {
  it('writ.delegate never widens: other items, wildcards, "*", and a second-level re-widening', async () => {
    const writ = createWrit({ dir });
    const { fileAudit } = await writ.ready();
    const ran: string[] = [];
    const act = writ.tool({
      name: 'act',
      permission: 'orders:read',
      risk: 'low',
      input: z.object({ who: z.string() }),
      execute: async ({ who }) => ran.push(who),
    });
    const cases: [name: string, run: () => Promise<unknown>][] = [
      [
        'other item',
        () =>
          writ.delegate({ agent: 'sub', scope: ['orders:write'] }, () => act.execute({ who: 'other item' })),
      ],
      [
        'wildcard',
        () => writ.delegate({ agent: 'sub', scope: ['orders:*'] }, () => act.execute({ who: 'wildcard' })),
      ],
      [
        'everything',
        () => writ.delegate({ agent: 'sub', scope: ['*'] }, () => act.execute({ who: 'everything' })),
      ],
      [
        'second level',
        () =>
          writ.delegate({ agent: 'sub', scope: ['orders:read'] }, () =>
            writ.delegate({ agent: 'subsub', scope: ['orders:read', 'payments:refund'] }, () =>
              act.execute({ who: 'second level' }),
            ),
          ),
      ],
    ];
    const errors: unknown[] = [];
    await writ.task({ agent: 'support', scope: ['orders:read', 'customers:read'] }, async () => {
      for (const [, run] of cases) errors.push(await run().catch((e: unknown) => e));
      await act.execute({ who: 'parent itself' });
    });
    await writ.close();
    expect(ran).toEqual(['parent itself']);
    const refusedStarts = (await readRecords(join(dir, 'audit'))).filter(
      (r) => r.kind === 'task-start' && r.status === 'refused',
    );
    expect(refusedStarts).toHaveLength(cases.length);
    for (const [k, error] of errors.entries()) {
      totals.widenTried++;
      const record = refusedStarts[k] as StoredRecord;
      const ok =
        WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED') &&
        record.refusal.code === 'WRIT_SCOPE_EXCEEDED' &&
        record.parentTaskId !== undefined;
      expect(ok, `${cases[k]?.[0]}: ${errorText(error)}`).toBe(true);
      if (ok) totals.widenRefused++;
    }
    expect((await verifyDeep(join(dir, 'audit'), fileAudit?.verifierKey)).ok).toBe(true);
  });

  it('a service continuing a caller’s task token cannot ask for more scope than the token carries', async () => {
    const writ = createWrit({ dir });
    const { authority, fileAudit } = await writ.ready();
    const ran: string[] = [];
    let token = '';
    const callOrders = writ.tool({
      name: 'call_orders',
      permission: 'orders:read',
      risk: 'low',
      audience: 'https://orders.example',
      input: z.object({}),
      execute: async (_a, ctx) => {
        token = ctx.credential?.token ?? '';
      },
    });
    await writ.task({ agent: 'support', scope: ['orders:read'] }, () => callOrders.execute({}));
    // the orders service verifies the caller's credential, then continues the task asking for more
    const inbound = await verifyTaskToken(token, {
      issuer: authority.issuer,
      audience: 'https://orders.example',
      jwks: authority.jwks(),
    });
    const write = writ.tool({
      name: 'write_order',
      permission: 'orders:write',
      risk: 'low',
      input: z.object({}),
      execute: async () => ran.push('write_order'),
    });
    totals.widenTried++;
    const error = await writ
      .task({ agent: 'orders-service', inbound, scope: ['orders:read', 'orders:write'] }, () =>
        write.execute({}),
      )
      .catch((e: unknown) => e);
    await writ.close();
    expect(ran).toEqual([]);
    const refused = (await readRecords(join(dir, 'audit'))).find(
      (r) => r.kind === 'task-start' && r.status === 'refused',
    );
    const ok =
      WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED') &&
      refused?.refusal.code === 'WRIT_SCOPE_EXCEEDED' &&
      refused.taskId === inbound.taskId;
    expect(ok, errorText(error)).toBe(true);
    if (ok) totals.widenRefused++;
    expect((await verifyDeep(join(dir, 'audit'), fileAudit?.verifierKey)).ok).toBe(true);
  });

  describe('token exchange at a token service that grants more scope than asked (real oidc-provider)', () => {
    const CLIENT = { id: 'writ-broker', secret: 'writ-broker-secret-0123456789abcdef0123' };
    let op: TestOp;
    beforeAll(async () => {
      op = await startOp({
        clients: [
          {
            client_id: CLIENT.id,
            client_secret: CLIENT.secret,
            grant_types: [TOKEN_EXCHANGE_GRANT_TYPE],
            response_types: [],
            redirect_uris: [],
          },
        ],
        setup(provider) {
          provider.registerGrantType(
            TOKEN_EXCHANGE_GRANT_TYPE,
            async (ctx: TokenExchangeContext) => {
              // a misconfigured (or hostile) token service: whatever was asked, plus refunds and admin
              const asked = String(ctx.oidc.params.scope ?? '');
              ctx.body = {
                access_token: `opaque-${randomUUID()}`,
                issued_token_type: TOKEN_TYPES.accessToken,
                token_type: 'Bearer',
                expires_in: 300,
                scope: `${asked} payments:refund admin:*`.trim(),
              };
            },
            ['audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type'],
            ['audience', 'resource'],
          );
        },
      });
    });
    afterAll(async () => {
      await op?.close();
    });

    it('the widened credential is refused before the tool runs, and the refusal is recorded', async () => {
      const authority = await createLocalAuthority({ dir: join(dir, 'keys') });
      const credentials = createCredentialBroker({
        authority,
        exchange: { tokenEndpoint: `${op.issuer}/token`, clientId: CLIENT.id, clientSecret: CLIENT.secret },
      });
      const writ = createWrit({ dir, credentials });
      const { fileAudit } = await writ.ready();
      const ran: string[] = [];
      const pay = writ.tool({
        name: 'read_payments',
        permission: 'orders:read',
        risk: 'low',
        audience: 'https://payments.example',
        input: z.object({}),
        execute: async () => ran.push('read_payments'),
      });
      totals.widenTried++;
      const error = await writ
        .task({ agent: 'support', scope: ['orders:read'] }, () => pay.execute({}))
        .catch((e: unknown) => e);
      await writ.close();
      expect(ran).toEqual([]);
      const decision = (await readRecords(join(dir, 'audit'))).find((r) => r.kind === 'decision');
      // the broker's WRIT_SCOPE_EXCEEDED reaches the caller and the record as is: a scope refusal, not an outage
      const ok =
        WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED') &&
        error.details.reason === 'scope_widened' &&
        decision?.refusal?.code === 'WRIT_SCOPE_EXCEEDED' &&
        decision.credential === undefined;
      expect(ok, errorText(error)).toBe(true);
      if (ok) totals.widenRefused++;
      expect((await verifyDeep(join(dir, 'audit'), fileAudit?.verifierKey)).ok).toBe(true);
    });
  });
});

describe('leak, replay and widening totals', () => {
  it('tried, refused, lost', async () => {
    await sleep(0);
    console.log(`leaks/replay/widening: ${JSON.stringify(totals)}`);
    expect(totals.leakCases).toBe(3 * 7);
    expect(totals.leakHits).toBe(0);
    expect(totals.replayTried).toBe(5);
    expect(totals.replayRefused).toBe(5);
    expect(totals.widenTried).toBe(6);
    expect(totals.widenRefused).toBe(6);
  });
});

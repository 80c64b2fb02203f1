import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { type Attribution, createWrit, WritError } from '@writ/core';
import { isScopeSubset } from '@writ/core/plugin';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import {
  createCredentialBroker,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
  verifyTaskToken,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let dir: string;
let authority: LocalAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-broker-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PAYMENTS = 'https://payments.example.com';
const never = new AbortController().signal;

function setup(options: { clock?: () => number; ttlSec?: number } = {}) {
  const identity = createLocalIdentity({ authority });
  const credentials = createCredentialBroker({ authority, ttlSec: options.ttlSec, clock: options.clock });
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    identity,
    credentials,
    audit,
    policy: createInMemoryPolicy({ fallback: 'allow' }),
    clock: options.clock,
  });
  const seen: { token: string; jti: string }[] = [];
  const pay = writ.tool({
    name: 'refund_order',
    input: z.object({ amount: z.number() }),
    permission: 'orders:refund',
    audience: PAYMENTS,
    execute: async (_args, ctx) => {
      seen.push({ token: ctx.credential?.token as string, jti: ctx.credential?.jti as string });
      return ctx.credential?.jti;
    },
  });
  return { writ, identity, credentials, audit, pay, seen };
}

describe('credential broker with the core pipeline', () => {
  it('issues a task token and one cached credential per audience; both are refused once the task ends, and the revocation is recorded', async () => {
    const t = setup();
    const alice = await t.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const { taskToken, during } = await t.writ.task(
      { requester: alice, agent: 'support', intent: 'Refund order 42', scope: ['orders:*'] },
      async (task) => {
        await t.pay.execute({ amount: 1 });
        await t.pay.execute({ amount: 2 });
        const verified = await verifyTaskToken(t.seen[0]?.token, {
          issuer: authority.issuer,
          audience: PAYMENTS,
          jwks: authority.jwks(),
          isRevoked: t.credentials.revocations.isRevoked,
          requiredScope: 'orders:refund',
        });
        return { taskToken: task.credential?.token as string, during: verified };
      },
    );
    expect(during).toMatchObject({
      subject: 'alice@example.com',
      actors: ['spiffe://example.org/agent/support'],
      scope: ['orders:*'],
    });
    expect(t.seen[0]?.jti).toBe(t.seen[1]?.jti); // cached per task and audience

    const options = {
      issuer: authority.issuer,
      jwks: authority.jwks(),
      isRevoked: t.credentials.revocations.isRevoked,
    };
    await expect(verifyTaskToken(t.seen[0]?.token, { ...options, audience: PAYMENTS })).rejects.toMatchObject(
      { code: 'WRIT_TOKEN_REVOKED' },
    );
    await expect(
      verifyTaskToken(taskToken, { ...options, audience: authority.issuer }),
    ).rejects.toMatchObject({ code: 'WRIT_TOKEN_REVOKED' });

    const [end] = t.audit.ofKind('task-end');
    expect(end?.revoked?.map((c) => c.jti).sort()).toEqual(
      [during.jti, t.audit.ofKind('task-start')[0]?.credential?.jti].sort(),
    );
    // never the token, only jti
    expect(t.audit.lines.join('\n')).not.toContain(taskToken);
    expect(t.audit.lines.join('\n')).not.toContain(t.seen[0]?.token);
  });

  it('renews the task token while a long task runs (one renewal for concurrent calls)', async () => {
    let now = Date.UTC(2026, 10, 23, 12);
    const t = setup({ clock: () => now, ttlSec: 120 });
    const jtis = await t.writ.task({ agent: 'batch', scope: ['orders:*'] }, async (task) => {
      const first = task.credential?.jti;
      now += 100_000; // 20 s left: inside the renewal window
      const lookup = t.writ.tool({
        name: 'lookup',
        input: z.object({}),
        execute: async (_a, ctx) => ctx.credential?.jti,
      });
      const renewed = await Promise.all([lookup.execute({}), lookup.execute({}), lookup.execute({})]);
      return { first, renewed };
    });
    expect(new Set(jtis.renewed).size).toBe(1);
    expect(jtis.renewed[0]).not.toBe(jtis.first);
    // both the original and the renewed token die with the task
    expect(
      t.audit
        .ofKind('task-end')[0]
        ?.revoked?.map((c) => c.jti)
        .sort(),
    ).toEqual([jtis.first, jtis.renewed[0]].sort());
  });

  it('never issues a per-audience credential that outlives its task token', async () => {
    const t = setup({ ttlSec: 60 });
    await t.writ.task({ agent: 'a', scope: ['orders:*'] }, async (task) => {
      await t.pay.execute({ amount: 1 });
      const verified = await verifyTaskToken(t.seen[0]?.token, {
        issuer: authority.issuer,
        audience: PAYMENTS,
        jwks: authority.jwks(),
      });
      expect(verified.expiresAt).toBeLessThanOrEqual(task.credential?.expiresAt as number);
    });
  });
});

const item = fc.oneof(
  fc.constant('*'),
  fc
    .constantFrom('orders', 'refunds', 'customers')
    .chain((a) => fc.constantFrom(`${a}:read`, `${a}:write`, `${a}:*`)),
);
const scopes = fc.uniqueArray(item, { maxLength: 4 });

describe('delegated credentials only narrow (property)', () => {
  test.prop([scopes, scopes], { numRuns: 60 })(
    'the broker refuses a child task token wider than its parent even if the pipeline is bypassed',
    async (parentScope, childScope) => {
      const broker = createCredentialBroker({ authority });
      const base: Attribution = {
        taskId: 'p',
        correlationId: 'c',
        autonomous: true,
        chain: [{ kind: 'agent', id: authority.agentId('root'), assurance: 'verified' }],
        scope: parentScope,
      };
      const parent = await broker.issueTaskCredential({ attribution: base }, { signal: never });
      const child: Attribution = {
        ...base,
        taskId: 'c',
        parentTaskId: 'p',
        scope: childScope,
        chain: [...base.chain, { kind: 'agent', id: authority.agentId('sub'), assurance: 'verified' }],
      };
      const result = await broker
        .issueTaskCredential({ attribution: child, parent }, { signal: never })
        .catch((e: unknown) => e);
      if (isScopeSubset(childScope, parentScope)) {
        expect(WritError.isInstance(result)).toBe(false);
        const verified = await verifyTaskToken((result as { token: string }).token, {
          issuer: authority.issuer,
          audience: authority.issuer,
          jwks: authority.jwks(),
        });
        expect(isScopeSubset(verified.scope, parentScope)).toBe(true);
      } else {
        expect(WritError.isInstance(result, 'WRIT_SCOPE_EXCEEDED')).toBe(true);
      }
    },
  );

  test.prop([scopes, scopes], { numRuns: 40 })(
    'writ.delegate asking for a wider scope is refused before anything runs',
    async (parentScope, childScope) => {
      const t = setup();
      let ran = false;
      const outcome = await t.writ
        .task({ agent: 'root', scope: parentScope }, () =>
          t.writ.delegate({ agent: 'sub', scope: childScope }, async () => {
            ran = true;
          }),
        )
        .then(
          () => 'ok',
          (e: unknown) => (WritError.isInstance(e) ? e.code : 'other'),
        );
      const widening = !isScopeSubset(childScope, parentScope);
      expect(outcome).toBe(widening ? 'WRIT_SCOPE_EXCEEDED' : 'ok');
      expect(ran).toBe(!widening);
      if (widening)
        expect(t.audit.ofKind('task-start').at(-1)).toMatchObject({
          status: 'refused',
          refusal: { code: 'WRIT_SCOPE_EXCEEDED' },
        });
    },
  );
});

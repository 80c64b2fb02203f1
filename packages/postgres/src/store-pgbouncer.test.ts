// Fleet mode's shared state through a transaction-mode pooler (PgBouncer from the Debian package, started
// here): every store operation is one statement, so the call ledger, the approvals, the revocation list
// and the task leases work through it; LISTEN takes the direct address. Skipped when PgBouncer is absent.
import { existsSync } from 'node:fs';
import type { PendingApproval } from '@writ/core/plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres } from './__support__/test-postgres.js';
import { createPostgresRevocationList } from './revocations/postgres-revocation-list.js';
import { hmacRowSigner } from './shared/row-signer.js';
import { createPostgresStores } from './store.js';

interface Bouncer {
  connectionString(role: string): string;
  stop(): Promise<void>;
}
interface Server {
  readonly port: number;
  readonly admin: { query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> };
  createRole(name: string): Promise<string>;
  stop(): Promise<void>;
}
const support = new URL('../../audit/src/postgres/__support__/pgbouncer.ts', import.meta.url).href;
const installed = existsSync('/usr/sbin/pgbouncer');

const signer = hmacRowSigner('b'.repeat(32));
const NEVER = new AbortController().signal;

describe.skipIf(!installed)('fleet stores through PgBouncer in transaction mode', () => {
  let db: Server;
  let bouncer: Bouncer;
  let direct: string;
  let through: string;
  beforeAll(async () => {
    db = (await startTestPostgres()) as unknown as Server;
    direct = await db.createRole('writ_fleet');
    const { startPgBouncer } = (await import(/* @vite-ignore */ support)) as {
      startPgBouncer(port: number, roles: Record<string, string>, poolSize: number): Promise<Bouncer>;
    };
    bouncer = await startPgBouncer(db.port, { writ_fleet: direct }, 2);
    through = bouncer.connectionString('writ_fleet');
    await db.admin.query('GRANT CREATE ON DATABASE postgres TO writ_fleet');
  }, 120_000);
  afterAll(async () => {
    await bouncer?.stop();
    await db?.stop();
  });

  it('claims run once, approvals are answered once, revocations reach the other replica: 2 server connections for everything', async () => {
    const open = () =>
      createPostgresStores({ connectionString: through, listen: direct, signer, schema: 'pooled' });
    const [a, b] = [open(), open()];
    try {
      // the call ledger: of four concurrent claimants through the pooler, one runs
      const key = { callId: 'c1', binding: 'B' };
      const claims = [a, b, a, b].map((s) => s.calls.claim(key, { signal: NEVER }).then((c) => ({ c, s })));
      const first = await Promise.race(claims);
      expect(first.c.status).toBe('claimed');
      await first.s.calls.settle(key, {
        binding: 'B',
        request: undefined,
        decision: { effect: 'allow', decisionId: 'd1' } as never,
        failure: undefined,
        expiresAt: Date.now() + 60_000,
        settled: { ok: true, value: 1 },
        executed: true,
      });
      const all = await Promise.all(claims);
      expect(all.map(({ c }) => c.status).sort()).toEqual(['claimed', 'settled', 'settled', 'settled']);

      // approvals: asked through A, answered through B (first answer wins), taken once
      const pending: PendingApproval = {
        bindingHash: 'h1',
        callId: 'c2',
        tool: 'refund_order',
        taskId: 't1',
        decisionId: 'd2',
        expiresAt: Date.now() + 60_000,
        requester: { id: 'alice', issuer: null },
        requestedAt: 1,
      };
      await a.approvals.open(pending);
      const answer = {
        approved: true,
        approver: { kind: 'human' as const, id: 'bob', assurance: 'claimed' as const },
        answeredAt: 2,
      };
      const answers = await Promise.all([b.approvals.answer('h1', answer), a.approvals.answer('h1', answer)]);
      expect(answers.map((r) => r.status).sort()).toEqual(['already_answered', 'answered']);
      const taken = await Promise.all([a.approvals.take('h1'), b.approvals.take('h1')]);
      expect(taken.filter((t) => t !== undefined)).toHaveLength(1);

      // revocations: through the pooler, LISTEN on the direct address
      const lists = await Promise.all(
        [1, 2].map(() =>
          createPostgresRevocationList({
            connectionString: through,
            listenConnectionString: direct,
            schema: 'pooled',
          }),
        ),
      );
      try {
        const [ra, rb] = lists as [(typeof lists)[0], (typeof lists)[0]];
        await ra.revoke('jti-1', Date.now() + 60_000);
        const started = performance.now();
        while (!rb.isRevoked('jti-1')) {
          if (performance.now() - started > 20_000) throw new Error('the revocation never reached B');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        for (const list of lists) await list.close();
      }

      // the server saw at most the pooler's 2 connections for the pooled work (+ the direct LISTEN ones)
      // (the direct LISTEN connections were just closed: their backends may still be exiting, so the count
      // is read again until they are gone, for up to 10 s; the pooler's own connections never go away)
      const serverConnections = async () =>
        Number(
          (
            await db.admin.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'writ_fleet' AND query NOT ILIKE 'LISTEN%'`,
            )
          ).rows[0]?.n,
        );
      let n = await serverConnections();
      for (const waitUntil = performance.now() + 10_000; n > 2 && performance.now() < waitUntil; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        n = await serverConnections();
      }
      expect(n).toBeLessThanOrEqual(2);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);
});

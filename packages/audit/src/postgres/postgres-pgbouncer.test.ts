import { WritError } from '@writ/core';
import type { AuditReceipt } from '@writ/core/plugin';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event } from '../__support__/log.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { startTestPostgres, type TestPostgres } from './__support__/embedded-postgres.js';
import { pgbouncerInstalled, startPgBouncer, type TestPgBouncer } from './__support__/pgbouncer.js';
import { verifyPostgresLog } from './postgres-log.js';
import { createPostgresAuditSink } from './postgres-sink.js';

// PgBouncer comes from the Debian package (`apt-get install -y pgbouncer`); without it this suite is skipped
describe.skipIf(!pgbouncerInstalled)('PostgreSQL audit sink through PgBouncer in transaction mode', () => {
  let db: TestPostgres;
  let bouncer: TestPgBouncer;
  let through: string;
  const keys = generateNoteKeys('writ/audit/pooled');
  const signer = createNoteSigner(keys.signerKey);

  beforeAll(async () => {
    db = await startTestPostgres();
    const direct = await db.createRole('writ_pooled');
    bouncer = await startPgBouncer(db.port, { writ_pooled: direct }, 2);
    through = bouncer.connectionString('writ_pooled');
  });
  afterAll(async () => {
    await bouncer?.stop();
    await db?.stop();
  });

  it('writes, refuses a second writer, fences a taken-over writer and verifies, with 2 server connections shared by every sink', async () => {
    const pool = new pg.Pool({ connectionString: through, max: 6 });
    const open = (logId: string, extra: { leaseMs?: number } = {}) =>
      createPostgresAuditSink({ pool, schema: 'pooled', logId, signer, checkpointEvery: 50, ...extra });
    const [a, b] = await Promise.all([open('a'), open('b', { leaseMs: 500 })]);
    await expect(open('a')).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'locked' },
    });
    const fill = (sink: typeof a, from: number, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          sink.append(event(from + i), { durability: i % 2 === 0 ? 'strict' : 'batched' }),
        ),
      );
    const [ra, rb] = await Promise.all([fill(a, 0, 300), fill(b, 0, 120)]);
    // the server saw at most the pooler's 2 connections of this role, however many the sinks used
    const { rows: servers } = await db.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'writ_pooled'`,
    );
    expect(servers[0]?.n).toBeLessThanOrEqual(2);

    // b's lease is taken over behind its back (as when it was paused past its lease): b is fenced
    await db.admin.query(
      `UPDATE pooled.leases SET expires_at = now() - interval '1 second' WHERE log_id = 'b'`,
    );
    const taker = await open('b');
    expect(taker.size).toBe(b.size);
    const refused = await b.append(event(999), { durability: 'strict' }).catch((e: unknown) => e);
    expect(WritError.isInstance(refused, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((refused as WritError).details).toMatchObject({ reason: 'fenced', logId: 'b' });
    const after: AuditReceipt[] = await fill(taker, 1000, 30);
    expect(after[0]?.index).toBe(rb.length + Math.floor(rb.length / 50));
    await Promise.all([a.close?.(), b.close?.(), taker.close?.()]);

    for (const [logId, count] of [
      ['a', ra.length],
      ['b', rb.length + after.length],
    ] as const) {
      const result = await verifyPostgresLog(logId, {
        pool,
        schema: 'pooled',
        verifierKey: keys.verifierKey,
        deep: true,
      });
      expect(result).toMatchObject({ ok: true });
      expect(result.records).toBe(count + result.checkpoints);
    }
    await pool.end();
  });
});

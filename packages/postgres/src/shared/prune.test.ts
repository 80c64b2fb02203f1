// Pruning the call ledger and the approvals (issue 20: shared tables must not grow without bound), against a
// real PostgreSQL: what is removed, what is kept (a call still running, anything not yet past retention).
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { useTestPostgres } from '../__support__/test-postgres.js';
import { approvalsDdl } from '../approvals/postgres-approval-store.js';
import { callLedgerDdl } from '../ledger/postgres-call-ledger.js';
import { createPostgresStores } from '../store.js';
import { hmacRowSigner } from './row-signer.js';

const signer = hmacRowSigner('p'.repeat(32));
const NOW = 1_900_000_000_000;
const DAY = 86_400_000;

const postgres = useTestPostgres();

describe('store.prune()', () => {
  it('removes ledger rows and approvals past expiry + retention, keeps running claims and recent rows', async () => {
    for (const statement of [...callLedgerDdl('p1'), ...approvalsDdl('p1')])
      await postgres().admin.query(statement);
    const ledger = (call: string, state: string, expiresAt: number) =>
      postgres().admin.query(
        `INSERT INTO p1.call_ledger (call_id, binding, state, expires_at, updated_at) VALUES ($1, 'b', $2, $3, $3)`,
        [call, state, expiresAt],
      );
    await ledger('old-settled', 'settled', NOW - 2 * DAY);
    await ledger('old-open', 'open', NOW - 2 * DAY);
    await ledger('old-claimed', 'claimed', NOW - 2 * DAY);
    await ledger('recent-settled', 'settled', NOW - DAY / 2);
    await ledger('live', 'settled', NOW + DAY);
    const approval = (hash: string, expiresAt: number) =>
      postgres().admin.query(
        `INSERT INTO p1.approvals (binding_hash, task_id, pending, pending_sig, expires_at, requested_at)
         VALUES ($1, 't', '{}', 's', $2, $2)`,
        [hash, expiresAt],
      );
    await approval('old', NOW - 2 * DAY);
    await approval('recent', NOW - DAY / 2);
    await approval('waiting', NOW + 60_000);

    const store = createPostgresStores({
      connectionString: postgres().connectionString(),
      schema: 'p1',
      signer,
      clock: () => NOW,
      migrate: false,
    });
    try {
      expect(await store.prune()).toEqual({ calls: 2, approvals: 1 });
      const left = await postgres().admin.query('SELECT call_id FROM p1.call_ledger ORDER BY call_id');
      expect(left.rows.map((r) => r.call_id)).toEqual(['live', 'old-claimed', 'recent-settled']);
      const approvals = await postgres().admin.query(
        'SELECT binding_hash FROM p1.approvals ORDER BY binding_hash',
      );
      expect(approvals.rows.map((r) => r.binding_hash)).toEqual(['recent', 'waiting']);
      // a shorter retention reaches the recent ones; nothing still valid is ever removed
      expect(await store.prune({ retainMs: 0 })).toEqual({ calls: 1, approvals: 1 });
      const still = await postgres().admin.query('SELECT call_id FROM p1.call_ledger ORDER BY call_id');
      expect(still.rows.map((r) => r.call_id)).toEqual(['live', 'old-claimed']);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('counts tables not created yet as empty, and refuses a bad retention with a typed error', async () => {
    const store = createPostgresStores({
      connectionString: postgres().connectionString(),
      schema: 'p2',
      signer,
    });
    try {
      expect(await store.prune()).toEqual({ calls: 0, approvals: 0 });
      const error = await store.prune({ retainMs: -1 }).catch((e: unknown) => e);
      expect(WritError.isInstance(error) && error.code).toBe('WRIT_OPTIONS_INVALID');
    } finally {
      await store.close();
    }
  }, 60_000);
});

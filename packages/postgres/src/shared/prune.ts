import { ident, type PgPool } from './pg-pool.js';

/**
 * What one prune removed: call-ledger rows and approvals past their expiry by more than the retention.
 *
 * @example
 * ```ts
 * const pruned: PrunedRows = await store.prune({ retainMs: 3_600_000 });
 * console.log(`${pruned.calls} ledger rows, ${pruned.approvals} approvals removed`);
 * ```
 */
export interface PrunedRows {
  readonly calls: number;
  readonly approvals: number;
}

const UNDEFINED_TABLE = '42P01';

/**
 * Deletes call-ledger rows and approvals that expired before `before` (epoch ms). A ledger row still
 * `claimed` (a call running past its entry's expiry) is kept; an expired row is re-claimable anyway, so
 * removing it changes no answer. Tables not created yet count as empty. @internal
 */
export async function pruneStores(pool: PgPool, schema: string, before: number): Promise<PrunedRows> {
  const s = ident(schema);
  const count = async (text: string) => {
    try {
      return (await pool.query(text, [before])).rowCount ?? 0;
    } catch (error) {
      if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return 0;
      throw error;
    }
  };
  const calls = await count(`DELETE FROM ${s}.call_ledger WHERE expires_at < $1 AND state <> 'claimed'`);
  const approvals = await count(`DELETE FROM ${s}.approvals WHERE expires_at < $1`);
  return { calls, approvals };
}

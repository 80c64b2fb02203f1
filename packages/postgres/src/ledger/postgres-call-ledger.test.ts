import { createInMemoryCallLedger, type LedgerEntry } from '@writ/core/plugin';
import { describe, expect, it } from 'vitest';
import { useTestPostgres } from '../__support__/test-postgres.js';
import { hmacRowSigner } from '../shared/row-signer.js';
import { createPostgresCallLedger } from './postgres-call-ledger.js';

const signer = hmacRowSigner('k'.repeat(32));
const NEVER = new AbortController().signal;
const entry = (binding: string, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  binding,
  request: undefined,
  decision: { effect: 'allow', decisionId: 'd1' } as never,
  failure: undefined,
  expiresAt: Date.now() + 60_000,
  ...extra,
});

const postgres = useTestPostgres();

describe('the PostgreSQL call ledger', () => {
  it('does what the in-memory ledger does: of concurrent claimants (two stores) exactly one runs, the others get its result', async () => {
    const url = postgres().connectionString();
    const a = createPostgresCallLedger({ connectionString: url, signer, schema: 'l1', storeResults: true });
    const b = createPostgresCallLedger({ connectionString: url, signer, schema: 'l1', storeResults: true });
    const key = { callId: 'c1', binding: 'B' };
    const claims = [a, b, a, b].map((store) =>
      store.claim(key, { signal: NEVER }).then((c) => ({ c, store })),
    );
    const first = await Promise.race(claims);
    expect(first.c.status).toBe('claimed');
    await first.store.settle(key, { ...entry('B'), settled: { ok: true, value: { n: 1 } }, executed: true });
    const all = await Promise.all(claims);
    expect(all.map(({ c }) => c.status).sort()).toEqual(['claimed', 'settled', 'settled', 'settled']);
    for (const { c } of all)
      if (c.status === 'settled') expect(c.entry.settled).toEqual({ ok: true, value: { n: 1 } });
    // the same call id under another binding has its own row
    expect((await a.claim({ callId: 'c1', binding: 'other' }, { signal: NEVER })).status).toBe('claimed');
    await a.close();
    await b.close();
  });

  it('a result not stored (the default) comes back as WRIT_ALREADY_EXECUTED with its digest; a refusal comes back as itself', async () => {
    const store = createPostgresCallLedger({
      connectionString: postgres().connectionString(),
      signer,
      schema: 'l2',
    });
    const key = { callId: 'c1', binding: 'B' };
    await store.claim(key, { signal: NEVER });
    await store.settle(key, {
      ...entry('B'),
      settled: { ok: true, value: { secret: 'result' } },
      executed: true,
      resultDigest: 'sha256:abc',
    });
    const again = await store.claim(key, { signal: NEVER });
    expect(again.status).toBe('settled');
    if (again.status !== 'settled' || again.entry.settled.ok) throw new Error('expected a refusal');
    expect(again.entry.settled.error).toMatchObject({
      code: 'WRIT_ALREADY_EXECUTED',
      details: { callId: 'c1', resultDigest: 'sha256:abc' },
    });
    const { rows } = await postgres().admin.query('SELECT entry FROM l2.call_ledger');
    expect(JSON.stringify(rows)).not.toContain('secret');
    const refusedKey = { callId: 'c2', binding: 'B' };
    await store.claim(refusedKey, { signal: NEVER });
    const { WritError } = await import('@writ/core');
    await store.settle(refusedKey, {
      ...entry('B'),
      settled: { ok: false, error: new WritError('WRIT_POLICY_DENIED', 'no', { details: { why: 'x' } }) },
      executed: false,
    });
    const refused = await store.claim(refusedKey, { signal: NEVER });
    expect(refused.status === 'settled' && refused.entry.settled).toMatchObject({
      ok: false,
      error: { code: 'WRIT_POLICY_DENIED', message: 'no', details: { why: 'x' } },
    });
    await store.close();
  });

  it('a released claim lets the next claimant (in another store) run it, with what check remembered; a waiter gives up on abort', async () => {
    const url = postgres().connectionString();
    const a = createPostgresCallLedger({ connectionString: url, signer, schema: 'l3' });
    const b = createPostgresCallLedger({
      connectionString: url,
      signer,
      schema: 'l3',
      listen: false,
      pollMs: 20,
    });
    const key = { callId: 'c1', binding: 'B' };
    await a.remember(key, entry('B', { bindingHash: 'sha256:h' }));
    expect(await b.get(key)).toMatchObject({ bindingHash: 'sha256:h', decision: { effect: 'allow' } });
    expect((await a.claim(key, { signal: NEVER })).status).toBe('claimed');
    const controller = new AbortController();
    const gaveUp = b.claim(key, { signal: controller.signal });
    controller.abort(new Error('gone'));
    await expect(gaveUp).rejects.toThrow('gone');
    const waiting = b.claim(key, { signal: NEVER });
    await a.release(key);
    const next = await waiting;
    expect(next.status === 'claimed' && next.entry?.bindingHash).toBe('sha256:h');
    await a.close();
    await b.close();
  });

  it('a claim its process never settles (killed mid-call): past claimTimeoutMs the others stop waiting and get WRIT_ALREADY_EXECUTED, outcome unknown, never a second run', async () => {
    const url = postgres().connectionString();
    let offset = 0;
    const a = createPostgresCallLedger({ connectionString: url, signer, schema: 'l6' });
    const b = createPostgresCallLedger({
      connectionString: url,
      signer,
      schema: 'l6',
      listen: false,
      pollMs: 20,
      claimTimeoutMs: 5_000,
      clock: () => Date.now() + offset,
    });
    const key = { callId: 'c-lost', binding: 'B' };
    expect((await a.claim(key, { signal: NEVER })).status).toBe('claimed');
    // A is gone without settling. Within the timeout B waits (it gives up only on its own signal) …
    const controller = new AbortController();
    const waiting = b.claim(key, { signal: controller.signal });
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    // … past it, B is refused, typed, and nothing is claimed for a second run
    offset = 6_000;
    const error = await b.claim(key, { signal: NEVER }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'WRIT_ALREADY_EXECUTED',
      details: { callId: 'c-lost', outcome: 'unknown', reason: 'claim_lost' },
    });
    const row = await postgres().admin.query('SELECT state FROM l6.call_ledger WHERE call_id = $1', [
      'c-lost',
    ]);
    expect(row.rows).toEqual([{ state: 'claimed' }]);
    await a.close();
    await b.close();
  });

  it('a row edited in the table is refused (WRIT_STORE_TAMPERED): a changed decision, a reset settled call', async () => {
    const store = createPostgresCallLedger({
      connectionString: postgres().connectionString(),
      signer,
      schema: 'l4',
    });
    const key = { callId: 'c1', binding: 'B' };
    await store.remember(key, entry('B', { decision: { effect: 'deny', decisionId: 'd1' } as never }));
    await postgres().admin.query(`UPDATE l4.call_ledger SET entry = replace(entry, '"deny"', '"allow"')`);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    await expect(store.claim(key, { signal: NEVER })).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    // another key signed for one call, copied onto another call's row
    const other = { callId: 'c2', binding: 'B' };
    await store.remember(other, entry('B'));
    await postgres().admin.query(
      `UPDATE l4.call_ledger SET entry = s.entry, sig = s.sig FROM l4.call_ledger s WHERE s.call_id = 'c2' AND call_ledger.call_id = 'c3'`,
    );
    await postgres().admin.query(
      `INSERT INTO l4.call_ledger SELECT 'c3', binding, 'open', NULL, entry, sig, expires_at, updated_at FROM l4.call_ledger WHERE call_id = 'c2'`,
    );
    await expect(store.get({ callId: 'c3', binding: 'B' })).rejects.toMatchObject({
      code: 'WRIT_STORE_TAMPERED',
    });
    // a settled row set back to open: the signed entry still says settled
    const ran = { callId: 'c4', binding: 'B' };
    await store.claim(ran, { signal: NEVER });
    await store.settle(ran, { ...entry('B'), settled: { ok: true, value: 1 }, executed: true });
    await postgres().admin.query(`UPDATE l4.call_ledger SET state = 'open' WHERE call_id = 'c4'`);
    expect((await store.claim(ran, { signal: NEVER })).status).toBe('settled');
    await store.close();
  });

  it('matches the in-memory ledger on expiry: an expired entry is gone', async () => {
    let now = 1_000;
    const store = createPostgresCallLedger({
      connectionString: postgres().connectionString(),
      signer,
      schema: 'l5',
      clock: () => now,
    });
    const memory = createInMemoryCallLedger({ max: 10, clock: () => now });
    const key = { callId: 'c1', binding: 'B' };
    for (const s of [store, memory]) await s.remember(key, entry('B', { expiresAt: 2_000 }));
    now = 2_000;
    expect(await store.get(key)).toBeUndefined();
    expect(await memory.get(key)).toBeUndefined();
    expect((await store.claim(key, { signal: NEVER })).status === 'claimed').toBe(true);
    await store.close();
  });

  it('refuses bad options, naming them', () => {
    expect(() => createPostgresCallLedger({ signer } as never)).toThrow(
      /exactly one of pool and connectionString/,
    );
    expect(() =>
      createPostgresCallLedger({ connectionString: 'postgres://x', signer, schema: 'Bad-Name' }),
    ).toThrow(/options\.schema/);
    expect(() => hmacRowSigner('short')).toThrow(/at least 32 bytes/);
  });
});

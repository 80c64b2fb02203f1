import { describe, expect, it } from 'vitest';
import { createInMemoryCallLedger, type LedgerEntry } from './call-ledger.js';

const entry = (binding: string, expiresAt: number, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  binding,
  request: undefined,
  decision: undefined,
  failure: undefined,
  expiresAt,
  ...extra,
});
const NEVER = new AbortController().signal;

describe('in-memory call ledger', () => {
  it('an entry applies only to the same binding, and only until it expires', async () => {
    let now = 1_000;
    const ledger = createInMemoryCallLedger({ max: 10, clock: () => now });
    await ledger.remember({ callId: 'c1', binding: 'A' }, entry('A', 2_000));
    expect(await ledger.get({ callId: 'c1', binding: 'A' })).toMatchObject({ binding: 'A' });
    // the same call id under another binding (another task or user, other arguments): nothing, and the
    // first entry is not disturbed by it
    expect(await ledger.get({ callId: 'c1', binding: 'B' })).toBeUndefined();
    await ledger.remember({ callId: 'c1', binding: 'B' }, entry('B', 2_000));
    expect(await ledger.get({ callId: 'c1', binding: 'A' })).toMatchObject({ binding: 'A' });
    // claims are per binding too: B running does not hold A up
    expect((await ledger.claim({ callId: 'c1', binding: 'B' }, { signal: NEVER })).status).toBe('claimed');
    expect((await ledger.claim({ callId: 'c1', binding: 'A' }, { signal: NEVER })).status).toBe('claimed');
    await ledger.remember({ callId: 'c2', binding: 'A' }, entry('A', 2_000));
    now = 2_000;
    expect(await ledger.get({ callId: 'c2', binding: 'A' })).toBeUndefined();
  });

  it('of concurrent claims exactly one runs; the others get its settled result', async () => {
    const ledger = createInMemoryCallLedger({ max: 10, clock: () => 0 });
    const key = { callId: 'c1', binding: 'A' };
    const claims = Array.from({ length: 5 }, () => ledger.claim(key, { signal: NEVER }));
    const first = await claims[0];
    expect(first?.status).toBe('claimed');
    await ledger.settle(key, { ...entry('A', 10), settled: { ok: true, value: 'once' }, executed: true });
    const rest = await Promise.all(claims.slice(1));
    expect(rest.map((c) => c.status)).toEqual(['settled', 'settled', 'settled', 'settled']);
    expect(rest.map((c) => (c.status === 'settled' ? c.entry.settled : undefined))).toEqual(
      Array(4).fill({ ok: true, value: 'once' }),
    );
  });

  it('a released claim (abort, suspension) lets the next claimant run it', async () => {
    const ledger = createInMemoryCallLedger({ max: 10, clock: () => 0 });
    const key = { callId: 'c1', binding: 'A' };
    await ledger.remember(key, entry('A', 10, { decision: { effect: 'allow' } as never }));
    const first = await ledger.claim(key, { signal: NEVER });
    const second = ledger.claim(key, { signal: NEVER });
    await ledger.release(key);
    const next = await second;
    expect(next.status).toBe('claimed');
    // what check decided is handed to whoever claims
    expect(first.status === 'claimed' && first.entry?.decision?.effect).toBe('allow');
    expect(next.status === 'claimed' && next.entry?.decision?.effect).toBe('allow');
  });

  it('a claimant waiting for another gives up when its signal aborts', async () => {
    const ledger = createInMemoryCallLedger({ max: 10, clock: () => 0 });
    const key = { callId: 'c1', binding: 'A' };
    await ledger.claim(key, { signal: NEVER });
    const controller = new AbortController();
    const waiting = ledger.claim(key, { signal: controller.signal });
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });

  it('keeps at most `max` entries, forgetting the oldest first', async () => {
    const ledger = createInMemoryCallLedger({ max: 2, clock: () => 0 });
    for (const id of ['a', 'b', 'c']) await ledger.remember({ callId: id, binding: 'X' }, entry('X', 10));
    expect(await ledger.get({ callId: 'a', binding: 'X' })).toBeUndefined();
    expect(await ledger.get({ callId: 'c', binding: 'X' })).toBeDefined();
  });
});

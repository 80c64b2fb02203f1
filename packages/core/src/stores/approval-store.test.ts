import { describe, expect, it } from 'vitest';
import { createInMemoryApprovalStore, type PendingApproval } from './approval-store.js';

const pending = (bindingHash: string, expiresAt: number): PendingApproval => ({
  bindingHash,
  callId: 'c1',
  tool: 'refund_order',
  taskId: 't1',
  decisionId: 'd1',
  expiresAt,
});

describe('in-memory approval store', () => {
  it('a pending approval is taken once: of concurrent takers exactly one gets it', async () => {
    const store = createInMemoryApprovalStore({ clock: () => 0, max: 10 });
    await store.open(pending('h1', 100));
    expect(await store.get('h1')).toMatchObject({ callId: 'c1' });
    const taken = await Promise.all([store.take('h1'), store.take('h1'), store.take('h1')]);
    expect(taken.filter((t) => t !== undefined)).toHaveLength(1);
    expect(await store.get('h1')).toBeUndefined();
  });

  it('an expired approval is no longer pending, but a taker still sees it (to refuse it as late)', async () => {
    let now = 0;
    const store = createInMemoryApprovalStore({ clock: () => now, max: 10 });
    await store.open(pending('h1', 100));
    await store.open(pending('h2', 100));
    now = 100;
    expect(await store.get('h1')).toBeUndefined();
    expect(await store.take('h2')).toMatchObject({ expiresAt: 100 });
    expect(await store.take('h2')).toBeUndefined();
  });

  it('keeps at most `max` pending approvals', async () => {
    const store = createInMemoryApprovalStore({ clock: () => 0, max: 1 });
    await store.open(pending('h1', 100));
    await store.open(pending('h2', 100));
    expect(await store.get('h1')).toBeUndefined();
    expect(await store.get('h2')).toBeDefined();
  });
});

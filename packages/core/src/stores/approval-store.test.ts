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

describe('in-memory approval store: answers and the queue', () => {
  const BOB = { kind: 'human', id: 'bob@example.com', assurance: 'verified' } as const;
  it('the first answer wins; an expired or taken approval cannot be answered', async () => {
    let now = 0;
    const store = createInMemoryApprovalStore({ clock: () => now, max: 10 });
    await store.open(pending('h1', 100));
    const yes = { approved: true, approver: BOB, answeredAt: 1 };
    const results = await Promise.all([
      store.answer('h1', yes),
      store.answer('h1', { ...yes, approved: false }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['answered', 'already_answered']);
    expect((await store.get('h1'))?.answer).toEqual(yes);
    // re-opening (a second check) keeps the answer
    await store.open(pending('h1', 100));
    expect((await store.get('h1'))?.answer).toEqual(yes);
    expect(await store.take('h1')).toMatchObject({ answer: yes });
    expect(await store.answer('h1', yes)).toEqual({ status: 'not_pending' });
    await store.open(pending('h2', 100));
    now = 100;
    expect(await store.answer('h2', yes)).toEqual({ status: 'not_pending' });
    // still there for its call to refuse as late
    expect(await store.take('h2')).toMatchObject({ bindingHash: 'h2' });
    expect(await store.answer('never-asked', yes)).toEqual({ status: 'not_pending' });
  });

  it('lists unanswered, unexpired approvals, by task or requester', async () => {
    let now = 0;
    const store = createInMemoryApprovalStore({ clock: () => now, max: 10 });
    await store.open({ ...pending('h1', 100), requester: { id: 'alice', issuer: null } });
    await store.open({ ...pending('h2', 50), taskId: 't2', requester: { id: 'bob', issuer: null } });
    await store.open({ ...pending('h3', 100), requester: null });
    await store.answer('h3', { approved: false, approver: null, answeredAt: 0 });
    expect((await store.list()).map((p) => p.bindingHash)).toEqual(['h1', 'h2']);
    expect((await store.list({ taskId: 't2' })).map((p) => p.bindingHash)).toEqual(['h2']);
    expect((await store.list({ requester: 'alice' })).map((p) => p.bindingHash)).toEqual(['h1']);
    now = 50;
    expect((await store.list()).map((p) => p.bindingHash)).toEqual(['h1']);
    // `all`: the answered and the expired ones too, until their call takes them
    expect((await store.list({ all: true })).map((p) => p.bindingHash)).toEqual(['h1', 'h2', 'h3']);
    await store.take('h3');
    expect((await store.list({ all: true })).map((p) => p.bindingHash)).toEqual(['h1', 'h2']);
  });
});

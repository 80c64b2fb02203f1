import type { PendingApproval } from '@writ/core/plugin';
import { describe, expect, it } from 'vitest';
import { useTestPostgres } from '../__support__/test-postgres.js';
import { hmacRowSigner } from '../shared/row-signer.js';
import { createPostgresApprovalStore } from './postgres-approval-store.js';

const signer = hmacRowSigner('k'.repeat(32));
const BOB = { kind: 'human', id: 'bob@example.com', assurance: 'verified' } as const;
const pending = (
  bindingHash: string,
  expiresAt: number,
  extra: Partial<PendingApproval> = {},
): PendingApproval => ({
  bindingHash,
  callId: 'c1',
  tool: 'refund_order',
  taskId: 't1',
  decisionId: 'd1',
  expiresAt,
  requester: { id: 'alice', issuer: null },
  requestedAt: 1,
  ...extra,
});

const postgres = useTestPostgres();

describe('the PostgreSQL approval store', () => {
  it('asked in one process, listed and answered in another (first answer wins), taken once', async () => {
    const url = postgres().connectionString();
    const a = createPostgresApprovalStore({ connectionString: url, signer, schema: 'a1' });
    const b = createPostgresApprovalStore({ connectionString: url, signer, schema: 'a1' });
    const later = Date.now() + 60_000;
    await a.open(pending('h1', later));
    await a.open(
      pending('h2', later, { taskId: 't2', requester: { id: 'carol', issuer: null }, requestedAt: 2 }),
    );
    expect((await b.list()).map((p) => p.bindingHash)).toEqual(['h1', 'h2']);
    expect((await b.list({ requester: 'carol' })).map((p) => p.bindingHash)).toEqual(['h2']);
    expect((await b.list({ taskId: 't1' })).map((p) => p.bindingHash)).toEqual(['h1']);
    const yes = { approved: true, approver: BOB, reason: 'ok', answeredAt: 5 };
    const answers = await Promise.all([
      b.answer('h1', yes),
      a.answer('h1', { ...yes, approved: false }),
      b.answer('h1', { ...yes, reason: 'again' }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual(['already_answered', 'already_answered', 'answered']);
    const won = answers.find((r) => r.status === 'answered');
    const standing = won?.status === 'answered' ? won.approval.answer : undefined;
    expect((await a.get('h1'))?.answer).toEqual(standing);
    expect((await b.list()).map((p) => p.bindingHash)).toEqual(['h2']);
    // `all` lists the answered one too, with its answer, until its call takes it
    const all = await b.list({ all: true });
    expect(all.map((p) => [p.bindingHash, p.answer?.approved])).toEqual([
      ['h1', standing?.approved],
      ['h2', undefined],
    ]);
    // re-opening keeps the answer; exactly one taker
    await a.open(pending('h1', later));
    const taken = await Promise.all([a.take('h1'), b.take('h1'), a.take('h1')]);
    expect(taken.filter((t) => t !== undefined)).toHaveLength(1);
    expect(taken.find((t) => t !== undefined)?.answer).toEqual(standing);
    expect(await b.answer('h1', yes)).toEqual({ status: 'not_pending' });
    await a.close();
    await b.close();
  });

  it('an expired approval cannot be answered, but its call still takes it (to refuse it as late)', async () => {
    let now = 1_000;
    const store = createPostgresApprovalStore({
      connectionString: postgres().connectionString(),
      signer,
      schema: 'a2',
      clock: () => now,
    });
    await store.open(pending('h1', 2_000));
    now = 2_000;
    expect(await store.get('h1')).toBeUndefined();
    expect(await store.answer('h1', { approved: true, approver: BOB, answeredAt: now })).toEqual({
      status: 'not_pending',
    });
    expect(await store.list()).toEqual([]);
    expect((await store.list({ all: true })).map((p) => p.bindingHash)).toEqual(['h1']);
    expect(await store.take('h1')).toMatchObject({ bindingHash: 'h1', expiresAt: 2_000 });
    await store.close();
  });

  it('a forged or moved answer, or an edited approval, is refused (WRIT_STORE_TAMPERED)', async () => {
    const store = createPostgresApprovalStore({
      connectionString: postgres().connectionString(),
      signer,
      schema: 'a3',
    });
    const later = Date.now() + 60_000;
    await store.open(pending('h1', later));
    await store.open(pending('h2', later));
    await store.answer('h1', { approved: false, approver: BOB, answeredAt: 1 });
    // flip the answer
    await postgres().admin.query(
      `UPDATE a3.approvals SET answer = replace(answer, 'false', 'true') WHERE binding_hash = 'h1'`,
    );
    await expect(store.get('h1')).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    // copy h1's (validly signed) answer onto h2
    await postgres().admin.query(
      `UPDATE a3.approvals t SET answer = s.answer, answer_sig = s.answer_sig FROM a3.approvals s WHERE s.binding_hash = 'h1' AND t.binding_hash = 'h2'`,
    );
    await expect(store.take('h2')).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    // a longer expiry written into the approval
    await store.open(pending('h3', later));
    await postgres().admin.query(
      `UPDATE a3.approvals SET pending = replace(pending, '${later}', '${later + 1}') WHERE binding_hash = 'h3'`,
    );
    await expect(store.list()).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    // a row signed with another key
    const other = createPostgresApprovalStore({
      connectionString: postgres().connectionString(),
      signer: hmacRowSigner('o'.repeat(32)),
      schema: 'a3',
    });
    await other.open(pending('h4', later));
    await expect(store.get('h4')).rejects.toMatchObject({ code: 'WRIT_STORE_TAMPERED' });
    await other.close();
    await store.close();
  });
});

import { describe, expect, it } from 'vitest';
import { answeredApproval, approverSchema } from './approval-answer.js';

describe('answeredApproval', () => {
  it('records the named approver as asserted, human unless a kind is given', () => {
    expect(answeredApproval({ approved: true, approver: { id: 'maria@example.com' } })).toEqual({
      approved: true,
      approver: { kind: 'human', id: 'maria@example.com', assurance: 'asserted' },
    });
    expect(
      answeredApproval({
        approved: false,
        reason: 'needs a receipt',
        approver: { id: 'ops-bot', kind: 'agent', name: 'Ops', issuer: 'https://login.example.com' },
      }),
    ).toEqual({
      approved: false,
      reason: 'needs a receipt',
      approver: {
        kind: 'agent',
        id: 'ops-bot',
        name: 'Ops',
        issuer: 'https://login.example.com',
        assurance: 'asserted',
      },
    });
  });

  it('leaves out what the answer does not say, so the pipeline defaults apply', () => {
    const approval = answeredApproval({ approved: true, reason: undefined, approver: undefined });
    expect(approval).toEqual({ approved: true });
    expect(Object.keys(approval)).toEqual(['approved']);
    const approver = answeredApproval({ approved: true, approver: { id: 'bob' } }).approver;
    expect(Object.keys(approver ?? {}).sort()).toEqual(['assurance', 'id', 'kind']);
  });
});

describe('approverSchema', () => {
  it('takes a principal with kind, id and assurance, keeping its other keys', () => {
    const maria = { kind: 'human', id: 'maria@example.com', assurance: 'verified', name: 'Maria' };
    expect(approverSchema.parse(maria)).toEqual(maria);
  });

  it('refuses what is not one', () => {
    for (const bad of [
      { kind: 'human', id: '', assurance: 'verified' },
      { kind: 'human', id: 'x'.repeat(2049), assurance: 'verified' },
      { kind: 'robot', id: 'r', assurance: 'verified' },
      { kind: 'human', id: 'maria@example.com' },
      { kind: 'human', id: 'maria@example.com', assurance: 'trusted' },
      'maria@example.com',
    ]) {
      expect(approverSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

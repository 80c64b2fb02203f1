import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.ts';

describe('quick-start scenario', () => {
  it('allows the read, gets the refund approved, denies the deletion and refuses the wider delegation', async () => {
    const { steps, events } = await runScenario();
    expect(steps.map((s) => [s.agent, s.effect])).toEqual([
      ['support-bot', 'allow'],
      ['support-bot', 'approval_required'],
      ['billing-bot', 'deny'],
      ['billing-bot', 'refused'],
    ]);
    expect(steps[1]?.detail).toContain('approved by maria@example.com');
    expect(steps[3]?.detail).toContain('WRIT_SCOPE_EXCEEDED');
    const decisions = events.filter((e) => e.kind === 'decision');
    expect(decisions).toHaveLength(3);
    const denial = decisions[2];
    expect(denial?.chain.map((p) => p.id)).toEqual([
      'spiffe://demo.writ.dev/agent/support-bot',
      'spiffe://demo.writ.dev/agent/billing-bot',
    ]);
    expect(denial?.requester?.id).toBe('alice@example.com');
  });
});

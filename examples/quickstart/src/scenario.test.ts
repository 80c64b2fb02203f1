import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.ts';

describe('quick-start scenario on the zero-config runtime', () => {
  it('allows the read, gets the refund approved, denies the deletion, refuses the wider delegation, and the evidence verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-quickstart-'));
    try {
      const result = await runScenario({ dir });
      expect(result.steps.map((s) => [s.agent, s.effect])).toEqual([
        ['support-bot', 'allow'],
        ['support-bot', 'approval_required'],
        ['billing-bot', 'deny'],
        ['billing-bot', 'refused'],
      ]);
      expect(result.steps[2]?.detail).toContain('destructive tools outside the task scope are denied');
      expect(result.steps[3]?.detail).toContain('WRIT_SCOPE_EXCEEDED');
      expect(await verifyLog(result.auditDir, { verifierKey: result.verifierKey, deep: true })).toMatchObject(
        { ok: true },
      );
      const [task] = await explainLog(result.auditDir, { taskId: result.taskId });
      expect(task?.requester?.id).toBe('alice@example.com');
      expect(task?.chain[0]).toMatchObject({ name: 'support-bot', owner: 'support-platform@example.com' });
      expect(task?.calls.map((c) => [c.tool, c.decision.effect, c.decision.policyIds])).toEqual([
        ['lookup_order', 'allow', ['default.cedar#in-scope-writes', 'default.cedar#read-only-tools']],
        ['refund_order', 'approval_required', ['default.cedar#high-risk-needs-approval']],
      ]);
      expect(task?.calls[1]?.approval?.approver?.id).toBe('maria@example.com');
      expect(task?.delegations[0]?.calls[0]?.decision.policyIds).toEqual([
        'default.cedar#destructive-out-of-scope',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

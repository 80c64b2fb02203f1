import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { describeRun, runSupportDesk } from './support-desk.ts';

describe('the OpenAI Agents SDK example (docs/guides/openai-agents.md)', () => {
  it('allows, denies and interrupts for approval on the real run loop, resumes from stored state, and leaves evidence that verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-example-openai-agents-'));
    try {
      const result = await runSupportDesk({ dir });
      expect(result.interrupted).toEqual({
        tool: 'refund_order',
        args: JSON.stringify({ orderId: '42', amount: 250 }),
      });
      expect(result.storedStateChars).toBeGreaterThan(0);
      expect(result.modelReadAfterDeny).toBe(
        'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run.',
      );
      expect(result.executed).toEqual(['lookup_order 42', 'refund_order 42 250']);
      expect(result.finalOutput).toBe('I refunded 250 on order 42. Sorry about the damaged item!');

      const lines = await describeRun(result);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^lookup_order +allow +-> ok {2}\[SDK trace trace_[0-9a-f]{32}\]$/);
      expect(lines[1]).toMatch(/^delete_customer +deny +WRIT_POLICY_DENIED -> refused {2}\[SDK trace trace_/);
      expect(lines[2]).toMatch(
        /^refund_order +approval_required \(approved by maria@example\.com\) -> ok {2}\[SDK trace trace_/,
      );
      // one SDK trace across the interruption and the resume
      expect(new Set(lines.map((l) => l.slice(l.indexOf('[SDK trace'))))).toHaveProperty('size', 1);

      expect(await verifyLog(result.auditDir, { verifierKey: result.verifierKey, deep: true })).toMatchObject(
        {
          ok: true,
        },
      );
      // the interrupted run and its resume are one task: the resume continued the task that asked
      const tasks = await explainLog(result.auditDir, { correlationId: result.correlationId });
      expect(tasks.map((t) => t.taskId)).toEqual([result.taskId]);
      expect(tasks.map((t) => t.calls.map((c) => [c.tool, c.decision?.effect, c.outcome?.status]))).toEqual([
        [
          ['lookup_order', 'allow', 'ok'],
          ['delete_customer', 'deny', 'refused'],
          ['refund_order', 'approval_required', 'ok'],
        ],
      ]);
      expect(tasks[0]?.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

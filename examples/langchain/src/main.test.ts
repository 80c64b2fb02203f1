import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { runRefundDesk } from './refund-desk.ts';

describe('the LangChain example (docs/guides/langchain.md)', () => {
  it('allows the lookup, shows the model the refused deletion, runs the refund once Maria approves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-example-langchain-'));
    const lines: string[] = [];
    try {
      const result = await runRefundDesk({ dir, print: (line) => lines.push(line) });
      const output = lines.join('\n');
      expect(output).toContain('alice  : Refund 30 on order 42, then delete customer cus_7');
      expect(output).toContain('  model  → lookup_order {"orderId":"42"}');
      expect(output).toContain(
        '  lookup_order ✔ {"orderId":"42","customerId":"cus_7","status":"delivered","total":480}',
      );
      expect(output).toContain(
        '  delete_customer ✖ Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): ' +
          'destructive tools outside the task scope are denied. The tool was not run.',
      );
      expect(output).toMatch(/ {2}paused : refund_order needs human approval \(cedar\)/);
      expect(output).toContain('  refund_order ✔ {"orderId":"42","refunded":30,"currency":"EUR"}');
      expect(output).toContain(
        '  model  : Refunded EUR 30 on order 42. Deleting customers is not something I may do.',
      );
      expect(output).toMatch(/verify : OK \(\d+ records\)/);
      expect(output).toContain('approval granted by maria@example.com');

      expect(result.toolResults.call_delete?.status).toBe('error');
      expect(result.approvalRequest).toMatchObject({ toolCallId: 'call_refund', tool: 'refund_order' });
      expect(await verifyLog(result.auditDir, { verifierKey: result.verifierKey, deep: true })).toMatchObject(
        {
          ok: true,
        },
      );
      // both requests of the ticket (the first, and the resume) are one task: the approval request
      // named it, and the resume continued it
      const tasks = await explainLog(result.auditDir, { correlationId: result.correlationId });
      expect(tasks.map((t) => t.taskId)).toEqual([result.approvalRequest.taskId]);
      const calls = tasks.map((t) =>
        t.calls.map((c) => [c.tool, c.decision.effect, c.outcome?.status]).sort(),
      );
      expect(calls).toEqual([
        [
          ['delete_customer', 'deny', 'refused'],
          ['lookup_order', 'allow', 'ok'],
          ['refund_order', 'approval_required', 'ok'],
        ],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { runSupportAgent } from './support-agent.ts';

const DENIED =
  'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run.';

async function run(approve: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'writ-example-ai-sdk-'));
  try {
    const result = await runSupportAgent({ dir, approve });
    const verdict = await verifyLog(result.auditDir, { verifierKey: result.verifierKey, deep: true });
    const [task] = await explainLog(result.auditDir, { taskId: result.taskId });
    return { ...result, verdict, task };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the AI SDK example (docs/guides/ai-sdk.md)', () => {
  it('allows the lookup, tells the model about the denied delete, runs the refund once Maria approves', async () => {
    const { transcript, verdict, task } = await run(true);
    expect(transcript).toEqual([
      'alice: Order 42 arrived damaged: please refund 250 and close my account.',
      '  lookup_order{"orderId":"42"} → ran: {"orderId":"42","customerId":"cus_7","status":"delivered","total":480}',
      `  delete_customer{"customerId":"cus_7"} → denied: ${DENIED}`,
      '  refund_order{"orderId":"42","amount":250} → waits for approval: refund_order needs human approval (cedar): high-risk tools need a human approval',
      expect.stringMatching(/^maria@example\.com approves refund_order \(\S+\)$/),
      '  refund_order{"orderId":"42","amount":250} → ran: {"orderId":"42","refunded":250}',
      `support-bot: I refunded 250 on order 42. I could not close your account (${DENIED})`,
    ]);
    expect(verdict).toMatchObject({ ok: true });
    expect(task?.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
    expect(task?.calls.map((c) => [c.tool, c.decision?.effect, c.outcome?.status])).toEqual([
      ['delete_customer', 'deny', 'refused'],
      ['lookup_order', 'allow', 'ok'],
      ['refund_order', 'approval_required', 'ok'],
    ]);
    expect(task?.calls.find((c) => c.tool === 'refund_order')?.approval).toMatchObject({
      approved: true,
      approver: { id: 'maria@example.com' },
    });
  });

  it('records Maria declining the refund; the tool never runs and the model is told', async () => {
    const { transcript, verdict, task } = await run(false);
    expect(transcript).toContainEqual(expect.stringMatching(/^maria@example\.com declines refund_order/));
    expect(transcript.at(-1)).toBe(
      `support-bot: I could not refund order 42. I could not close your account (${DENIED})`,
    );
    expect(verdict).toMatchObject({ ok: true });
    expect(task?.calls.find((c) => c.tool === 'refund_order')).toMatchObject({
      refusal: { code: 'WRIT_APPROVAL_REJECTED' },
      approval: { approved: false, approver: { id: 'maria@example.com' } },
      outcome: { status: 'refused' },
    });
  });
});

// The check the support-desk examples (Google ADK, Strands, Genkit, Mastra) share: each runs the same
// conversation on its framework's real agent loop with a scripted model, and its test asks the same of it.
// The conversation prints what happened (allowed, denied and the model told, paused for a human and
// resumed), the log verifies with the pinned key, and `explain` shows the three calls as the policy decided
// them. Only the tests import this file: each example's own code stays whole, to copy and run on its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';

/** What an example's `runSupportDesk` leaves behind, for checking the evidence. */
export interface SupportDeskRun {
  readonly taskId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
}

/** An example's support desk: runs the conversation in `dir`, printing what happens through `print`. */
export type RunSupportDesk = (options: {
  dir: string;
  print: (line: string) => void;
}) => Promise<SupportDeskRun>;

export interface SupportDeskExample {
  /** The framework, as the test names it: `Google ADK`. */
  readonly framework: string;
  /** The example's folder (and its guide's file name): `google-adk`. */
  readonly slug: string;
  /** The word the example prints when the high-risk call waits for a human (Mastra: `suspended`). */
  readonly paused?: string;
  readonly runSupportDesk: RunSupportDesk;
}

/**
 * The lines a support-desk example prints for its conversation, in order (the approval's line matched by
 * pattern: it carries the call's binding hash). `paused` is the word for the wait (Mastra: `suspended`).
 */
export function supportDeskConversation(paused = 'paused'): unknown[] {
  return [
    'alice: Refund the damaged item on order 42 and close my account.',
    '  model calls lookup_order {"orderId":"42"}',
    '    ran: {"orderId":"42","status":"delivered","total":480,"customerId":"cus_7"}',
    '  model calls delete_customer {"customerId":"cus_7"}',
    '    refused; the model is told: Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run.',
    '  model calls refund_order {"orderId":"42","amount":250}',
    `    ${paused}: refund_order needs human approval (cedar): high-risk tools need a human approval`,
    expect.stringMatching(
      /^maria approves refund_order \{"orderId":"42","amount":250\} \(sha256:[0-9a-f]{12}…\)$/,
    ),
    '    ran: {"orderId":"42","refunded":250}',
    'agent: I refunded 250 on order 42. I cannot close your account myself; a colleague will.',
  ];
}

/** Declares the example's test: one real run of its support desk, offline. */
export function describeSupportDeskExample(example: SupportDeskExample): void {
  const { framework, slug, paused = 'paused' } = example;
  describe(`the ${framework} example (docs/guides/${slug}.md)`, () => {
    it('runs the conversation offline: allowed, denied (the model is told), approved and resumed; the evidence verifies', async () => {
      const dir = await mkdtemp(join(tmpdir(), `writ-example-${slug}-`));
      try {
        const lines: string[] = [];
        const run = await example.runSupportDesk({ dir, print: (line) => lines.push(line) });

        expect(lines).toEqual(supportDeskConversation(paused));

        expect(await verifyLog(run.auditDir, { verifierKey: run.verifierKey, deep: true })).toMatchObject({
          ok: true,
          keyPinned: true,
        });
        const [task] = await explainLog(run.auditDir, { taskId: run.taskId });
        expect(task?.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
        expect(task?.calls.map((c) => [c.tool, c.decision.effect, c.outcome?.status])).toEqual([
          ['lookup_order', 'allow', 'ok'],
          ['delete_customer', 'deny', 'refused'],
          ['refund_order', 'approval_required', 'ok'],
        ]);
        expect(task?.calls[2]?.approval).toMatchObject({
          approved: true,
          approver: { id: 'maria@example.com' },
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}

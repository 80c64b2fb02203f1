// A wrapped tool run as a Mastra workflow step (createStep(tool)): a Writ approval is the workflow's own
// suspend, and run.resume({ resumeData }) answers it. Real Mastra workflow engine, runs kept in
// Mastra's InMemoryStore, a zero-config Writ (local authority, shipped Cedar policies, file audit log).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { createTool } from '@mastra/core/tools';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { readLines } from '@writ/audit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { isWritApprovalRequest, type WritApprovalRequest, writTools } from './index.js';

let dir: string;
let writ: WritRuntime;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-mastra-workflow-'));
  writ = createWrit({ dir, service: 'support' });
});
afterEach(async () => {
  await writ.close();
  await rm(dir, { recursive: true, force: true });
});

async function records() {
  await writ.close();
  const out: { kind: string; call?: { id: string }; approval?: { approved: boolean } }[] = [];
  for await (const line of readLines(join(dir, 'audit'))) {
    const r = JSON.parse(line.bytes.toString()).r;
    if (r.kind !== 'checkpoint') out.push(r);
  }
  return out;
}

function refunds(ran: string[]) {
  const refundOrder = createTool({
    id: 'refund-order',
    description: 'Refund an order',
    inputSchema: z.object({ orderId: z.string() }),
    outputSchema: z.object({ refunded: z.string() }),
    execute: async ({ orderId }) => {
      ran.push(orderId);
      return { refunded: orderId };
    },
  });
  const { refund_order } = writTools(
    { refund_order: refundOrder },
    {
      writ,
      tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
    },
  );
  const step = createStep(refund_order as typeof refundOrder);
  const workflow = createWorkflow({
    id: 'refunds',
    inputSchema: z.object({ orderId: z.string() }),
    outputSchema: z.object({ refunded: z.string() }),
  })
    .then(step)
    .commit();
  const mastra = new Mastra({
    workflows: { refunds: workflow },
    storage: new InMemoryStore(),
    logger: false,
  });
  return { step, workflow: mastra.getWorkflow('refunds') };
}

const ticket = async () => {
  const { localIdentity } = await writ.ready();
  const requester = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
  return { requester, agent: 'support-bot', scope: ['orders:*'] };
};

describe('writTools as a workflow step', () => {
  it('suspends the workflow for the approval (the step is the call); approved on resume, it runs once', async () => {
    const ran: string[] = [];
    const { step, workflow } = refunds(ran);
    const t = await ticket();
    const run = await workflow.createRun();
    const started = await writ.task(t, () => run.start({ inputData: { orderId: '42' } }));
    expect((started as { error?: unknown }).error).toBeUndefined();
    expect(started.status).toBe('suspended');
    const request = (started.steps[step.id] as { suspendPayload?: unknown }).suspendPayload;
    expect(isWritApprovalRequest(request)).toBe(true);
    const asked = request as WritApprovalRequest;
    expect(asked).toMatchObject({ tool: 'refund_order', args: { orderId: '42' } });
    expect(ran).toEqual([]);
    // resumed from storage (as another process would: a new run object for the same run id)
    const again = await workflow.createRun({ runId: run.runId });
    const resumed = await writ.task({ ...t, resume: asked.taskId }, () =>
      again.resume({ step: step.id, resumeData: { approved: true } }),
    );
    expect(resumed.status).toBe('success');
    expect(ran).toEqual(['42']);
    const callId = `workflow:refunds:${run.runId}`;
    const kinds = (await records()).filter((r) => r.call?.id === callId).map((r) => r.kind);
    expect(kinds).toEqual(['approval-requested', 'approval', 'decision', 'outcome']);
  });

  it('declined on resume: the step fails with the refusal, the tool never runs, the refusal is recorded', async () => {
    const ran: string[] = [];
    const { step, workflow } = refunds(ran);
    const t = await ticket();
    const run = await workflow.createRun();
    const started = await writ.task(t, () => run.start({ inputData: { orderId: '43' } }));
    const asked = (started.steps[step.id] as { suspendPayload?: unknown })
      .suspendPayload as WritApprovalRequest;
    const resumed = await writ.task({ ...t, resume: asked.taskId }, () =>
      run.resume({ step: step.id, resumeData: { approved: false, reason: 'no' } }),
    );
    expect(resumed.status).toBe('failed');
    expect((resumed as { error?: { message?: string } }).error?.message).toContain('WRIT_APPROVAL_REJECTED');
    expect(ran).toEqual([]);
    const approvals = (await records()).filter((r) => r.kind === 'approval');
    expect(approvals.map((r) => r.approval?.approved)).toEqual([false]);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog } from '@writ/audit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-policy-digest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('records which policy set decided: the Cedar engine’s digest is on the decision record', async () => {
  const writ = createWrit({ dir });
  const lookup = writ.tool({
    name: 'lookup_order',
    input: z.object({ orderId: z.string() }),
    annotations: { readOnly: true },
    permission: 'orders:read',
    execute: async ({ orderId }) => ({ orderId }),
  });
  const { localIdentity, policy, fileAudit } = await writ.ready();
  const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
  const taskId = await writ.task({ requester: alice, agent: 'support-bot' }, async (task) => {
    await lookup.execute({ orderId: '42' });
    return task.attribution.taskId;
  });
  await writ.close();

  const digest = (policy as { policySetDigest?: string }).policySetDigest;
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const [task] = await explainLog(join(dir, 'audit'), { taskId }, { verifierKey: fileAudit?.verifierKey });
  expect(task?.calls.map((c) => [c.tool, c.decision.effect, c.decision.policySetDigest])).toEqual([
    ['lookup_order', 'allow', digest],
  ]);
});

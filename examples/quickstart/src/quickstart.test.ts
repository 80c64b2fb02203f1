import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { lookupOrderFor } from './quickstart.ts';

describe('the quick start (docs/quickstart.md)', () => {
  it('runs the tool through the pipeline and leaves evidence that verifies and explains', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-quickstart-'));
    try {
      const result = await lookupOrderFor({ dir });
      expect(result.order).toEqual({ orderId: '42', status: 'shipped', total: 480 });
      expect(await verifyLog(result.auditDir, { verifierKey: result.verifierKey, deep: true })).toMatchObject(
        { ok: true },
      );
      const [task] = await explainLog(result.auditDir, { taskId: result.taskId });
      expect(task?.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
      expect(task?.calls[0]).toMatchObject({
        tool: 'lookup_order',
        decision: { effect: 'allow' },
        outcome: { status: 'ok' },
      });
      expect(task?.chain[0]).toMatchObject({
        id: 'spiffe://writ.local/agent/support-bot',
        owner: 'support-platform@example.com',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

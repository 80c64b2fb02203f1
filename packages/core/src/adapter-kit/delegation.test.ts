import { describe, expect, it } from 'vitest';
import { ALICE, setup } from '../__support__/fixtures.js';
import { openDelegation, runInContext } from '../adapter-kit.js';
import { tryGetAttribution } from '../index.js';

const task = { requester: ALICE, agent: 'coder', intent: 'Fix the build', scope: ['read:*', 'write:*'] };

describe('openDelegation: a sub-agent delegation an adapter holds open across framework callbacks', () => {
  it('opens under the active task with the narrowed scope, runs work in its context, and ends when told (recorded once)', async () => {
    const t = setup();
    await t.writ.task(task, async (parent) => {
      const delegation = await openDelegation(t.writ, {
        agent: 'researcher',
        scope: ['read:*'],
        intent: 'Read logs',
      });
      expect(delegation.attribution.parentTaskId).toBe(parent.attribution.taskId);
      expect(delegation.attribution.scope).toEqual(['read:*']);
      expect(delegation.attribution.chain.map((p) => p.id.split('/').at(-1))).toEqual([
        'coder',
        'researcher',
      ]);
      // a later callback, outside the delegation's own async flow, runs in its context
      const seen = await new Promise((resolve) =>
        setTimeout(() => resolve(runInContext(delegation.context, () => tryGetAttribution()?.taskId)), 1),
      );
      expect(seen).toBe(delegation.attribution.taskId);
      expect(t.audit.ofKind('task-end').map((e) => e.taskId)).toEqual([]);
      await delegation.end();
      await delegation.end(); // idempotent
      expect(t.audit.ofKind('task-end').map((e) => e.taskId)).toEqual([delegation.attribution.taskId]);
    });
  });

  it('refuses a scope the task does not cover, and a delegation outside any task', async () => {
    const t = setup();
    await t.writ.task(task, async () => {
      await expect(openDelegation(t.writ, { agent: 'researcher', scope: ['admin:*'] })).rejects.toMatchObject(
        {
          code: 'WRIT_SCOPE_EXCEEDED',
        },
      );
    });
    await expect(openDelegation(t.writ, { agent: 'researcher' })).rejects.toMatchObject({
      code: 'WRIT_NO_TASK',
    });
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLog, verifyLog } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { runCodingAgent } from './coding-agent.ts';

describe('the Claude Agent SDK example (docs/guides/claude-agent-sdk.md)', () => {
  it('on the real Claude Code loop, refuses a destructive chained command, a write outside the workspace and curl | sh, asks a human before rm -rf build, and leaves evidence that verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-example-claude-agent-sdk-'));
    try {
      const result = await runCodingAgent({ dir });
      expect(result.finalOutput).toBe('Tidied up: notes written, build output removed.');
      // what ran, and what did not
      expect(existsSync(join(result.workspace, 'NOTES.md'))).toBe(true);
      expect(existsSync(join(result.workspace, 'build'))).toBe(false);
      expect(existsSync(join(result.home, 'Documents'))).toBe(true);
      expect(existsSync(join(result.home, '.bashrc'))).toBe(false);
      expect(result.asked).toHaveLength(1);
      expect(result.asked[0]).toMatch(/^rm -rf build \(Bash needs human approval/);
      for (const id of ['toolu_chain', 'toolu_bashrc', 'toolu_install']) {
        expect(result.modelRead[id], id).toMatch(
          /^Refused by Writ \(WRIT_POLICY_DENIED\): .*The tool was not run\.$/,
        );
      }
      expect(result.modelRead.toolu_ls).toContain('build');

      expect(await verifyLog(result.auditDir, { verifierKey: result.verifierKey, deep: true })).toMatchObject(
        {
          ok: true,
          keyPinned: true,
        },
      );
      const tasks = await explainLog(result.auditDir, { correlationId: result.correlationId });
      expect(tasks.map((t) => t.taskId)).toEqual([result.taskId]);
      expect(tasks[0]?.calls.map((c) => [c.tool, c.decision?.effect, c.outcome?.status])).toEqual([
        ['Bash', 'allow', 'ok'],
        ['Write', 'allow', 'ok'],
        ['Bash', 'approval_required', 'ok'],
        ['Bash', 'deny', 'refused'],
        ['Write', 'deny', 'refused'],
        ['Bash', 'deny', 'refused'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

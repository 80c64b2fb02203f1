// Issue 10 acceptance: a reader following the Quick start and the Vercel AI SDK guide gets a working
// instrumented agent. The guide's "Wrap the tools" block and its approval continuation run as one module,
// as written, against the built packages. What the guide leaves to the reader is supplied before it: the
// user's token (from the local authority the zero-config runtime uses), a database, a payments client,
// and the model: the AI SDK's own MockLanguageModelV4, scripted to look order 42 up and refund 250 on it,
// then answer from what its tools said.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aiSdkGuideProgram } from './reader-programs.js';
import { logRecords, removeScratch, runModule, runShell, scratchDir } from './run-docs.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeScratch(dir);
});

interface StoredRecord {
  kind: string;
  taskId: string;
  call?: { name: string };
  decision?: { effect: string };
  outcome?: { status: string };
  approval?: { approved: boolean; approver: { id: string } };
  requester?: { id: string; assurance: string };
  resumed?: true;
}

describe('docs/guides/ai-sdk.md, run as written', () => {
  it('runs a real generateText loop whose calls are decided, approved, executed and recorded', () => {
    // "Wrap the tools" and the approval continuation (the page marks it `check: continue`)
    const program = aiSdkGuideProgram();
    const dir = scratchDir('ai-sdk-guide');
    dirs.push(dir);
    const run = runModule(dir, 'agent.ts', program.code);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // the approved refund ran once, after the human's answer, and the model was told
    expect(run.stdout.match(/REFUNDED 42 250/g)).toHaveLength(1);
    expect(run.stdout).toContain('MODEL: refunded 250 on order 42');

    const records = logRecords(join(dir, '.writ', 'audit')) as unknown as StoredRecord[];
    const decisions = records.filter((r) => r.kind === 'decision');
    const decided = (name: string) =>
      decisions.filter((r) => r.call?.name === name).map((r) => r.decision?.effect);
    expect(decided('lookup_order')).toEqual(['allow']);
    expect(decided('refund_order')).toEqual(['approval_required']);
    expect(records.filter((r) => r.kind === 'approval').map((r) => r.approval)).toMatchObject([
      { approved: true, approver: { id: 'alice@example.com' } },
    ]);
    expect(records.filter((r) => r.kind === 'outcome').map((r) => r.outcome?.status)).toEqual(['ok', 'ok']);
    for (const r of decisions)
      expect(r.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
    // two requests of the conversation, one task: the second continues the one that asked
    const starts = records.filter((r) => r.kind === 'task-start');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ taskId: starts[0]?.taskId, resumed: true });
    for (const r of [...decisions, ...records.filter((r) => r.kind === 'outcome')])
      expect(r.taskId).toBe(starts[0]?.taskId);

    // pinned with the key the signing key in .writ/keys gives (never the log's own log.json)
    const [keys] = runShell(dir, ['npx writ keys show --json'], {});
    const { verifierKeys } = JSON.parse(keys?.stdout ?? '{}') as { verifierKeys: { verifierKey: string }[] };
    expect(verifierKeys).toHaveLength(1);
    const [verify] = runShell(dir, ['npx writ verify .writ/audit --key "$WRIT_VERIFIER_KEY"'], {
      WRIT_VERIFIER_KEY: verifierKeys[0]?.verifierKey,
    });
    // every record verifies with the pinned key; no checkpoint kept elsewhere anchors it (exit 4)
    expect(verify?.status, verify?.stderr).toBe(4);
    expect(verify?.stdout).toMatch(/^✔ verified, unanchored /);
  });
});

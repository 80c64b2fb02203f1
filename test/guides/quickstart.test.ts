// Issue 10 acceptance: a reader following only the Quick start gets a working instrumented tool. The
// page's code runs as written (its one ts block, then its sh commands) against the built packages; only
// the database the page assumes is supplied.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quickstartProgram } from './reader-programs.js';
import {
  logRecords,
  pageBlocks,
  removeScratch,
  runModule,
  runShell,
  scratchDir,
  verifierKeyShown,
} from './run-docs.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeScratch(dir);
});

describe('docs/quickstart.md, run as written', () => {
  it('records an attributed, allowed call that verifies, explains and reports', () => {
    const page = pageBlocks('docs/quickstart.md');
    expect(page.ts).toHaveLength(1);
    const dir = scratchDir('quickstart');
    dirs.push(dir);
    const run = runModule(dir, 'quickstart.ts', quickstartProgram().code);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const records = logRecords(join(dir, '.writ', 'audit'));
    const decision = records.find((r) => r.kind === 'decision') as
      | { call: { name: string }; decision: { effect: string }; requester: { id: string; assurance: string } }
      | undefined;
    expect(decision?.call.name).toBe('lookup_order');
    expect(decision?.decision.effect).toBe('allow');
    expect(decision?.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
    const outcome = records.find((r) => r.kind === 'outcome') as { outcome: { status: string } } | undefined;
    expect(outcome?.outcome.status).toBe('ok');
    const taskId = (records.find((r) => r.kind === 'task-start') as { taskId: string }).taskId;

    // the page prints the verifier key the reader pins
    const verifierKey = /^verifier key: (\S+)$/m.exec(run.stdout)?.[1];
    expect(verifierKey).toMatch(/^writ\/audit\/[0-9a-f-]{36}\+[0-9a-f]{8}\+/);
    // and `npx writ keys show` shows the same key from the key directory
    expect(verifierKeyShown(dir)).toBe(verifierKey);

    // "Then check and read the evidence": every command of the page's sh blocks succeeds
    const shell = runShell(dir, page.sh, { TASK_ID: taskId, WRIT_VERIFIER_KEY: verifierKey });
    expect(shell.length).toBeGreaterThanOrEqual(4);
    for (const r of shell) expect(r.status, `${r.dir}\n${r.stderr}`).toBe(0);
    const verify = shell.find((r) => r.dir.includes('writ verify'));
    expect(verify?.dir).toContain('--key "$WRIT_VERIFIER_KEY"');
    expect(verify?.stdout).toMatch(/^✔ verified and anchored /);
    const explain = shell.find((r) => r.dir.includes('writ explain'));
    expect(explain?.stdout).toContain('lookup_order');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});

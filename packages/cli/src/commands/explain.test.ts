// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess: build before running.
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskNode } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { buildUnsealedLog, HOSTILE_INTENT, runCli, useAnchoredFixture } from '../__support__/cli.js';
import type { ExplainJson } from '../index.js';

/** The log, its pinned key and a checkpoint kept outside it: what an investigator verifies with. */
const given = useAnchoredFixture();

describe.concurrent('writ explain', () => {
  it('--task verifies the log, then shows requester, agents (with the delegation), and every decision', async () => {
    const r = await runCli([
      'explain',
      given.fixture.logDir,
      '--task',
      given.fixture.tasks.refund,
      ...given.evidence,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      /^✔ verified and anchored: \d+ records, 1 checkpoint\(s\), \d+ sealed; the given checkpoint covers \d+\n\ntask /,
    );
    expect(out).not.toMatch(/not verified|not sealed/);
    expect(out).toContain(`task ${given.fixture.tasks.refund}`);
    expect(out).toContain('requester alice@example.com (verified)');
    expect(out).toMatch(/agent support <spiffe:\/\/writ\.test\/agent\/support>/);
    expect(out).toMatch(/delegation \S+/);
    expect(out).toMatch(/agent billing <spiffe:\/\/writ\.test\/agent\/billing>/);
    expect(out).toMatch(/lookup_order #call-lookup .*\n.*decision ✔ allow/);
    expect(out).toMatch(/refund_order #call-refund .*\n.*decision ⏸ approval/);
    expect(out).toMatch(/approval granted by maria@example\.com/);
    expect(out).toMatch(/delete_customer #call-delete .*\n.*decision ✖ deny .*policies no-deletes/);
    expect(out).toMatch(/approval refused by maria@example\.com/);
    expect(out).not.toContain('bob@example.com');
  });

  it('--call narrows to one call; --correlation finds the task', async () => {
    const call = await runCli(['explain', given.fixture.logDir, '--call', 'call-delete', ...given.evidence]);
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('delete_customer #call-delete');
    expect(call.stdout).toContain('reasons agents never delete customers');
    expect(call.stdout).not.toContain('lookup_order');
    const corr = await runCli([
      'explain',
      given.fixture.logDir,
      '--correlation',
      given.fixture.correlationIds.triage,
      ...given.evidence,
    ]);
    expect(corr.code).toBe(0);
    expect(corr.stdout).toContain('requester bob@example.com (verified)');
    expect(corr.stdout).toContain('agent triage');
    expect(corr.stdout).toMatch(/lookup_order #call-triage-lookup .*\n.*decision ✔ allow/);
    expect(corr.stdout).not.toContain('alice@example.com');
  });

  it('--json gives the verdict and the TaskNode tree, every node with its records and their evidence', async () => {
    const r = await runCli([
      'explain',
      given.fixture.logDir,
      '--task',
      given.fixture.tasks.refund,
      '--json',
      ...given.evidence,
    ]);
    expect(r.code).toBe(0);
    const { query, verification, unreadable, tasks } = JSON.parse(r.stdout) as ExplainJson;
    expect(query).toEqual({ taskId: given.fixture.tasks.refund });
    expect(verification).toMatchObject({
      ok: true,
      state: 'anchored',
      log: given.fixture.logDir,
      unproven: [],
    });
    expect(unreadable).toEqual([]);
    expect(tasks[0]?.evidence).toBe('verified');
    expect(tasks[0]?.records.map((r) => r.kind)).toEqual(['task-start', 'task-end']);
    expect(tasks[0]?.calls[1]?.records).toEqual([
      { index: 3, kind: 'approval', evidence: 'verified' },
      { index: 4, kind: 'decision', evidence: 'verified' },
      { index: 5, kind: 'outcome', evidence: 'verified' },
    ]);
    expect(tasks).toHaveLength(1);
    const [task] = tasks as [TaskNode];
    expect(task.intent).toBe(HOSTILE_INTENT);
    expect(task.requester?.id).toBe('alice@example.com');
    expect(task.chain.map((p) => p.name)).toEqual(['support']);
    expect(task.calls.map((c) => [c.callId, c.decision.effect])).toEqual([
      ['call-lookup', 'allow'],
      ['call-refund', 'approval_required'],
    ]);
    const [billing] = task.delegations as [TaskNode];
    expect(billing.chain.map((p) => p.name)).toEqual(['support', 'billing']);
    expect(billing.calls.map((c) => [c.callId, c.decision.effect, c.approval?.approved])).toEqual([
      ['call-delete', 'deny', undefined],
      ['call-wire', 'approval_required', false],
    ]);
  });

  it('exits 1 when nothing matches, 2 without exactly one query, 3 for a missing directory', async () => {
    const none = await runCli(['explain', given.fixture.logDir, '--task', 'no-such-task']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('matches task "no-such-task"');
    const noneJson = await runCli([
      'explain',
      given.fixture.logDir,
      '--call',
      'nope',
      '--json',
      ...given.evidence,
    ]);
    expect(noneJson.code).toBe(1);
    expect(JSON.parse(noneJson.stdout)).toEqual({
      query: { callId: 'nope' },
      verification: expect.objectContaining({ state: 'anchored' }),
      unreadable: [],
      logs: [expect.objectContaining({ log: given.fixture.logDir, unreadable: [] })],
      tasks: [],
      links: [],
      findings: [],
    });
    const zero = await runCli(['explain', given.fixture.logDir]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('give exactly one of --task');
    expect((await runCli(['explain', given.fixture.logDir, '--task', 'a', '--call', 'b'])).code).toBe(2);
    const missing = await runCli(['explain', join(given.fixture.dir, 'missing'), '--task', 'x']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^WRIT_AUDIT_UNAVAILABLE: .*missing cannot be read/);
    const conflicting = await runCli([
      'explain',
      given.fixture.logDir,
      '--task',
      'x',
      '--unverified',
      ...given.evidence,
    ]);
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toContain('--unverified reads the log without verifying it');
  });

  it('says what it proves: 4 with the pinned key alone, 5 and no "verified" without it or with --unverified', async () => {
    const task = ['explain', given.fixture.logDir, '--task', given.fixture.tasks.triage];
    const unanchored = await runCli([...task, '--key', given.fixture.verifierKey]);
    expect(unanchored.code).toBe(4);
    expect(unanchored.stdout).toMatch(/^✔ verified, unanchored: /);
    expect(unanchored.stdout).toMatch(/\n {2}cannot rule out: truncation at a seal: /);
    const unpinned = await runCli(task);
    expect(unpinned.code).toBe(5);
    expect(unpinned.stdout).toMatch(/^⚠ unpinned: \d+ records consistent with the key the log names itself/);
    expect(unpinned.stdout).not.toMatch(/(?<!\()\bverified\b/); // "(verified)" is the requester's assurance
    expect(unpinned.stdout).toContain('requester bob@example.com (verified)');
    const unverified = await runCli([...task, '--unverified', '--json']);
    expect(unverified.code).toBe(5);
    const doc = JSON.parse(unverified.stdout) as ExplainJson;
    expect(doc.verification).toBeNull();
    expect(doc.tasks[0]?.evidence).toBe('unverified');
    const text = await runCli([...task, '--unverified']);
    expect(text.stdout).toMatch(/^⚠ not verified: read with --unverified; nothing below is proven\n/);
  });

  it('--unverified reads a log that cannot be verified (no log.json)', async () => {
    const copy = join(given.fixture.dir, 'no-meta');
    await cp(given.fixture.logDir, copy, { recursive: true });
    await rm(join(copy, 'log.json'));
    const refused = await runCli(['explain', copy, '--task', given.fixture.tasks.triage]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/holds no Writ log \(log\.json missing\)/);
    const read = await runCli(['explain', copy, '--task', given.fixture.tasks.triage, '--unverified']);
    expect(read.code).toBe(5);
    expect(read.stdout).toContain('requester bob@example.com (verified)');
  });

  it('marks the records of a live log that no checkpoint covers yet, and exits 4 even when anchored', async () => {
    const live = await buildUnsealedLog(join(given.fixture.dir, 'live'));
    const r = await runCli([
      'explain',
      live.logDir,
      '--task',
      live.taskId,
      '--key',
      live.verifierKey,
      '--checkpoint',
      live.anchor,
    ]).finally(() => live.close());
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^✔ verified and anchored: /);
    expect(r.stdout).toMatch(
      /├─ lookup_order #late \[record \d+\]\n.*│ {2}⚠ not sealed yet: record \d+ \(decision\), record \d+ \(outcome\)/,
    );
  });
});

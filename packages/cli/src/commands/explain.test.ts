// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess: build before running.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskNode } from '@writ/audit';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureLog, type FixtureLog, HOSTILE_INTENT, runCli, tempDir } from '../__support__/cli.js';
import { colorExplain } from './explain.js';

let fixture: FixtureLog;
beforeAll(async () => {
  fixture = await buildFixtureLog(await tempDir());
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

describe.concurrent('writ explain', () => {
  it('--task shows requester, agents (with the delegation), and every decision', async () => {
    const r = await runCli(['explain', fixture.logDir, '--task', fixture.tasks.refund]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`task ${fixture.tasks.refund}`);
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
    const call = await runCli(['explain', fixture.logDir, '--call', 'call-delete']);
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('delete_customer #call-delete');
    expect(call.stdout).toContain('reasons agents never delete customers');
    expect(call.stdout).not.toContain('lookup_order');
    const corr = await runCli(['explain', fixture.logDir, '--correlation', fixture.correlationIds.triage]);
    expect(corr.code).toBe(0);
    expect(corr.stdout).toContain('requester bob@example.com (verified)');
    expect(corr.stdout).toContain('agent triage');
    expect(corr.stdout).toMatch(/lookup_order #call-triage-lookup .*\n.*decision ✔ allow/);
    expect(corr.stdout).not.toContain('alice@example.com');
  });

  it('--json gives the TaskNode tree', async () => {
    const r = await runCli(['explain', fixture.logDir, '--task', fixture.tasks.refund, '--json']);
    expect(r.code).toBe(0);
    const { query, tasks } = JSON.parse(r.stdout) as { query: unknown; tasks: TaskNode[] };
    expect(query).toEqual({ taskId: fixture.tasks.refund });
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
    const none = await runCli(['explain', fixture.logDir, '--task', 'no-such-task']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('matches task "no-such-task"');
    const noneJson = await runCli(['explain', fixture.logDir, '--call', 'nope', '--json']);
    expect(noneJson.code).toBe(1);
    expect(JSON.parse(noneJson.stdout)).toEqual({ query: { callId: 'nope' }, tasks: [] });
    const zero = await runCli(['explain', fixture.logDir]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('give exactly one of --task');
    expect((await runCli(['explain', fixture.logDir, '--task', 'a', '--call', 'b'])).code).toBe(2);
    const missing = await runCli(['explain', join(fixture.dir, 'missing'), '--task', 'x']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^WRIT_AUDIT_UNAVAILABLE: .*missing cannot be read/);
  });
});

describe('colorExplain', () => {
  it('colours decisions (allow green, approval amber, deny red) and leaves the text intact', () => {
    const text = [
      'task t1 "x"',
      '└─ agent a <spiffe://d/agent/a> scope [*]',
      '   ├─ lookup #1 [record 2]',
      '   │  decision ✔ allow by in-memory d1',
      '   │  decision ⏸ approval by in-memory d2',
      '   │  decision ✖ deny by in-memory d3',
      '   │  refused WRIT_APPROVAL_REJECTED: no',
    ].join('\n');
    const c = pc.createColors(true);
    const colored = colorExplain(text, c);
    expect(colored).toContain(c.green('✔ allow'));
    expect(colored).toContain(c.yellow('⏸ approval'));
    expect(colored).toContain(c.red('✖ deny'));
    expect(colored).toContain(c.red('refused WRIT_APPROVAL_REJECTED:'));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(text);
    expect(colorExplain(text, pc.createColors(false))).toBe(text);
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildUnsealedLog,
  HOSTILE_INTENT,
  runCli,
  tamperedCopy,
  useAnchoredFixture,
} from '../__support__/cli.js';
import type { TasksJson } from './tasks.js';

/** The log, its pinned key and a checkpoint kept outside it: what an investigator verifies with. */
const given = useAnchoredFixture();

const tasksOf = (stdout: string) => (JSON.parse(stdout) as TasksJson).tasks;
/** The listing's rows (after the verdict and a blank line, below the header). */
const rows = (stdout: string) => stdout.split('\n\n')[1]?.trimEnd().split('\n').slice(1) ?? [];

describe.concurrent('writ tasks', () => {
  it('lists every task, delegations after the task that opened them, one line each; exit 0 anchored', async () => {
    const r = await runCli(['tasks', given.fixture.logDir, ...given.evidence]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✔ verified and anchored: /);
    const [header, ...lines] = r.stdout.split('\n\n')[1]?.trimEnd().split('\n') ?? [];
    expect(header?.split(/\s{2,}/)).toEqual([
      'TIME',
      'TASK',
      'REQUESTER',
      'AGENTS',
      'CALLS',
      'END',
      'EVIDENCE',
      'INTENT',
    ]);
    expect(lines).toHaveLength(3);
    const [refund, delegation, triage] = lines.map((l) => l.split(/\s{2,}/));
    expect(refund?.slice(1, 7)).toEqual([
      given.fixture.tasks.refund,
      'alice@example.com',
      'support',
      '2',
      'ok',
      'verified',
    ]);
    expect(refund?.[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // the intent is cut to 60 characters (the whole one is in --json and writ explain)
    expect(refund?.[7]).toBe(`"${HOSTILE_INTENT.slice(0, 59)}…"`);
    expect(delegation?.[1]).toMatch(/^↳ \S+$/);
    expect(delegation?.slice(2, 7)).toEqual([
      'alice@example.com',
      'support → billing',
      '2',
      'ok',
      'verified',
    ]);
    expect(triage?.slice(1, 8)).toEqual([
      given.fixture.tasks.triage,
      'bob@example.com',
      'triage',
      '1',
      'ok',
      'verified',
      '"Check order 7"',
    ]);
  });

  it('--json: one document with the verdict and every task, its text as the log holds it', async () => {
    const r = await runCli(['tasks', given.fixture.logDir, ...given.evidence, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as TasksJson;
    expect(doc.verification?.state).toBe('anchored');
    expect(doc.unreadable).toEqual([]);
    expect(doc.tasks).toHaveLength(3);
    const [refund, delegation, triage] = doc.tasks;
    expect(refund).toEqual({
      log: given.fixture.logDir,
      taskId: given.fixture.tasks.refund,
      parentTaskId: null,
      correlationId: given.fixture.correlationIds.refund,
      time: expect.stringMatching(/Z$/),
      requester: expect.objectContaining({ id: 'alice@example.com', assurance: 'verified' }),
      chain: [expect.objectContaining({ name: 'support' })],
      intent: HOSTILE_INTENT,
      calls: 2,
      status: 'started',
      end: { status: 'ok', errorCode: null },
      evidence: 'verified',
    });
    expect(delegation?.parentTaskId).toBe(given.fixture.tasks.refund);
    expect(delegation?.chain.map((a) => a.name)).toEqual(['support', 'billing']);
    expect(triage?.taskId).toBe(given.fixture.tasks.triage);
  });

  it('filters by requester, agent, tool, decision, task and time', async () => {
    const ids = async (...filters: string[]) => {
      const r = await runCli(['tasks', given.fixture.logDir, ...given.evidence, '--json', ...filters]);
      return tasksOf(r.stdout).map((t) => (t.parentTaskId === null ? t.taskId : `↳${t.parentTaskId}`));
    };
    const { refund, triage } = given.fixture.tasks;
    expect(await ids('--requester', 'bob@example.com')).toEqual([triage]);
    expect(await ids('--agent', 'support')).toEqual([refund, `↳${refund}`]);
    expect(await ids('--agent', 'spiffe://writ.test/agent/billing')).toEqual([`↳${refund}`]);
    expect(await ids('--tool', 'lookup_order')).toEqual([refund, triage]);
    expect(await ids('--decision', 'deny')).toEqual([`↳${refund}`]);
    expect(await ids('--decision', 'approval_required')).toEqual([refund, `↳${refund}`]);
    expect(await ids('--task', refund)).toEqual([refund, `↳${refund}`]);
    expect(await ids('--since', '2000-01-01T00:00:00Z', '--until', '2999-01-01')).toEqual([
      refund,
      `↳${refund}`,
      triage,
    ]);
    const [first] = tasksOf((await runCli(['tasks', given.fixture.logDir, '--unverified', '--json'])).stdout);
    expect(await ids('--until', first?.time as string)).toEqual([]);
    expect(await ids('--since', first?.time as string, '--requester', 'alice@example.com')).toEqual([
      refund,
      `↳${refund}`,
    ]);
  });

  it('nothing matching: exit 1, "no task … matches" on stderr', async () => {
    const r = await runCli([
      'tasks',
      given.fixture.logDir,
      ...given.evidence,
      '--since',
      '2999-01-01T00:00:00Z',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`no task in ${given.fixture.logDir} matches\n`);
    expect(r.stdout).toMatch(/^✔ verified and anchored: .*\n$/);
  });

  it('says what is proven: 4 with the key alone, 5 without it or --unverified, unsealed and failed rows marked', async () => {
    const pinned = await runCli(['tasks', given.fixture.logDir, '--key', given.fixture.verifierKey]);
    expect(pinned.code).toBe(4);
    const unpinned = await runCli(['tasks', given.fixture.logDir]);
    expect(unpinned.code).toBe(5);
    expect(unpinned.stdout).toMatch(/^⚠ unpinned: /);
    expect(rows(unpinned.stdout).every((l) => / unverified {2}/.test(l))).toBe(true);
    const unverified = await runCli(['tasks', given.fixture.logDir, '--unverified']);
    expect(unverified.code).toBe(5);
    expect(unverified.stdout).toMatch(/^⚠ not verified: read with --unverified; nothing below is proven\n/);

    const live = await buildUnsealedLog(join(given.fixture.dir, 'live'));
    try {
      const r = await runCli([
        'tasks',
        live.logDir,
        '--key',
        live.verifierKey,
        '--checkpoint',
        live.anchor,
        '--json',
      ]);
      expect(r.code).toBe(4);
      const byId = new Map(tasksOf(r.stdout).map((t) => [t.taskId, t.evidence]));
      expect(byId.get(live.taskId)).toBe('unsealed');
      expect([...byId.values()].filter((e) => e === 'verified')).toHaveLength(1);
    } finally {
      await live.close();
    }

    const tampered = join(given.fixture.dir, 'tampered');
    await tamperedCopy(given.fixture.logDir, tampered, 14);
    const failed = await runCli(['tasks', tampered, '--key', given.fixture.verifierKey]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^✖ does not verify: first bad record 14: /);
    expect(rows(failed.stdout).some((l) => / FAILED {2}/.test(l))).toBe(true);
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUnsealedLog, runCli, useAnchoredFixture } from '../__support__/cli.js';
import type { CallsJson } from './calls.js';

/** The log, its pinned key and a checkpoint kept outside it: what an investigator verifies with. */
const given = useAnchoredFixture();

const callIds = (stdout: string) => (JSON.parse(stdout) as CallsJson).calls.map((c) => c.callId);

describe.concurrent('writ calls', () => {
  it('lists every call, one line each: time, task, tool, call id, decision, approval, outcome, evidence', async () => {
    const r = await runCli(['calls', given.fixture.logDir, ...given.evidence]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...lines] = r.stdout.split('\n\n')[1]?.trimEnd().split('\n') ?? [];
    expect(header?.split(/\s{2,}/)).toEqual([
      'TIME',
      'TASK',
      'TOOL',
      'CALL',
      'DECISION',
      'APPROVAL',
      'OUTCOME',
      'EVIDENCE',
    ]);
    const cells = lines.map((l) => l.split(/\s{2,}/));
    expect(cells.map((c) => c.slice(2))).toEqual([
      ['lookup_order', 'call-lookup', 'allow', '-', 'ok', 'verified'],
      ['refund_order', 'call-refund', 'approval_required', 'granted by maria@example.com', 'ok', 'verified'],
      ['delete_customer', 'call-delete', 'deny', '-', 'refused WRIT_POLICY_DENIED', 'verified'],
      [
        'wire_money',
        'call-wire',
        'approval_required',
        'refused by maria@example.com',
        'refused WRIT_APPROVAL_REJECTED',
        'verified',
      ],
      ['lookup_order', 'call-triage-lookup', 'allow', '-', 'ok', 'verified'],
    ]);
    expect(cells.map((c) => c[1])).toEqual([
      given.fixture.tasks.refund,
      given.fixture.tasks.refund,
      expect.not.stringMatching(given.fixture.tasks.refund), // the delegation's own task id
      cells[2]?.[1],
      given.fixture.tasks.triage,
    ]);
    for (const c of cells) expect(c[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('--json: one document with the verdict and every call', async () => {
    const r = await runCli(['calls', given.fixture.logDir, ...given.evidence, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as CallsJson;
    expect(doc.verification?.state).toBe('anchored');
    expect(doc.calls.map((c) => c.callId)).toEqual(Object.keys(given.fixture.calls));
    expect(doc.calls[1]).toEqual({
      log: given.fixture.logDir,
      time: expect.stringMatching(/Z$/),
      taskId: given.fixture.tasks.refund,
      tool: 'refund_order',
      callId: 'call-refund',
      index: expect.any(Number),
      effect: 'approval_required',
      policyIds: ['refunds'],
      approval: { approved: true, approver: 'maria@example.com' },
      outcome: { status: 'ok', errorCode: null },
      refusal: null,
      evidence: 'verified',
    });
    expect(doc.calls[3]?.refusal).toEqual({ code: 'WRIT_APPROVAL_REJECTED', message: expect.any(String) });
  });

  it('filters by tool, decision, agent, requester, task and time', async () => {
    const ids = async (...filters: string[]) =>
      callIds(
        (await runCli(['calls', given.fixture.logDir, ...given.evidence, '--json', ...filters])).stdout,
      );
    expect(await ids('--tool', 'lookup_order')).toEqual(['call-lookup', 'call-triage-lookup']);
    expect(await ids('--decision', 'allow')).toEqual(['call-lookup', 'call-triage-lookup']);
    expect(await ids('--decision', 'deny')).toEqual(['call-delete']);
    expect(await ids('--agent', 'billing')).toEqual(['call-delete', 'call-wire']);
    expect(await ids('--requester', 'bob@example.com')).toEqual(['call-triage-lookup']);
    expect(await ids('--task', given.fixture.tasks.refund)).toEqual([
      'call-lookup',
      'call-refund',
      'call-delete',
      'call-wire',
    ]);
    expect(await ids('--task', given.fixture.tasks.refund, '--tool', 'wire_money')).toEqual(['call-wire']);
    const all = (
      JSON.parse(
        (await runCli(['calls', given.fixture.logDir, '--unverified', '--json'])).stdout,
      ) as CallsJson
    ).calls;
    const third = all[2]?.time as string;
    // at or after --since, before --until (records written in the same millisecond fall on the same side)
    const at = (keep: (time: string) => boolean) =>
      all.filter((c) => keep(c.time as string)).map((c) => c.callId);
    expect(await ids('--since', third)).toEqual(at((t) => t >= third));
    expect(await ids('--until', third)).toEqual(at((t) => t < third));
    expect(at((t) => t >= third)).toEqual(
      expect.arrayContaining(['call-delete', 'call-wire', 'call-triage-lookup']),
    );
    expect(at((t) => t < third)).toContain('call-lookup');
    const none = await runCli(['calls', given.fixture.logDir, ...given.evidence, '--tool', 'no_such_tool']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`no call in ${given.fixture.logDir} matches\n`);
  });

  it('marks what is not proven: unsealed calls of a live log exit 4 even when anchored; 5 without the key', async () => {
    const live = await buildUnsealedLog(join(given.fixture.dir, 'live'));
    try {
      const r = await runCli(['calls', live.logDir, '--key', live.verifierKey, '--checkpoint', live.anchor]);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/^✔ verified and anchored: /);
      expect(r.stdout).toMatch(/ early {2}.* verified\n/);
      expect(r.stdout).toMatch(/ late {2}.* unsealed\n/);
      const early = await runCli([
        'calls',
        live.logDir,
        '--key',
        live.verifierKey,
        '--checkpoint',
        live.anchor,
        '--task',
        live.taskId,
        '--json',
      ]);
      expect(callIds(early.stdout)).toEqual(['late']);
    } finally {
      await live.close();
    }
    const unpinned = await runCli(['calls', given.fixture.logDir, '--json']);
    expect(unpinned.code).toBe(5);
    expect(new Set((JSON.parse(unpinned.stdout) as CallsJson).calls.map((c) => c.evidence))).toEqual(
      new Set(['unverified']),
    );
  });
});

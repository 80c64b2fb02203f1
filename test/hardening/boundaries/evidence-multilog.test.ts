// Issue 21 item 1: many logs, one investigation. A caller (alice's support desk: orchestrator agent, a
// delegated sub-agent whose tool calls the orders MCP server with a credential for the server's
// audience) and the orders server (its own runtime, key and log) write two real logs; the BUILT `writ`
// binary joins them, each verified with its own pinned key and anchored with its own checkpoint.
// Build first (npx turbo run build).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readVerifiedLog, type TaskNode } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';
import { ORDERS } from './mcp-world.js';
import { evidence, flippedCopy, type MultilogLogs, multilogLogs, type Side } from './multilog-logs.js';

let dir: string;
let logs: MultilogLogs;
let caller: Side;
let callee: Side;
let forged: Side;
let joinedTask: string;
let delegated: string;
let unusedTask: string;

beforeAll(async () => {
  dir = await tempDir('writ-multilog-');
  logs = await multilogLogs(dir);
  ({ caller, callee, forged, joinedTask, delegated, unusedTask } = logs);
}, 60_000);

afterAll(async () => {
  await logs?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** The record at `index` of a log, read back verified. */
async function recordAt(side: Side, index: number) {
  const { records } = await readVerifiedLog(side.log, { verifierKey: side.key });
  return records.find((r) => r.index === index);
}

/** Every node of the trees, callees and delegations included. */
function nodes(tasks: readonly TaskNode[]): TaskNode[] {
  return tasks.flatMap((t) => [
    t,
    ...nodes(t.delegations),
    ...nodes(t.calls.flatMap((c) => [...(c.callees ?? [])])),
  ]);
}

describe('many logs, one investigation (issue 21 item 1)', () => {
  it(
    attack(
      'multilog-join',
      "explain over the caller's and the server's logs: both verified and anchored with their own keys, one chain requester → orchestrator → sub-agent → server, the link with (log, index) on both sides",
    ),
    async () => {
      const args = ['explain', caller.log, callee.log, '--task', joinedTask, ...evidence(caller, callee)];
      const json = await runCli([...args, '--json']);
      expect(json.stderr).toBe('');
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout);
      expect(
        doc.logs.map((l: { log: string; verification: { state: string } }) => [l.log, l.verification.state]),
      ).toEqual([
        [caller.log, 'anchored'],
        [callee.log, 'anchored'],
      ]);
      expect(doc.findings).toEqual([]);
      expect(doc.links).toHaveLength(1);
      const [link] = doc.links;
      expect(link).toMatchObject({
        caller: {
          log: caller.log,
          service: 'support-desk',
          tool: 'lookup_remote_order',
          evidence: 'verified',
        },
        callee: { log: callee.log, service: 'orders-mcp', evidence: 'verified' },
        taskId: delegated,
        audience: ORDERS,
      });
      // both ends of the link, read back from the logs themselves
      const issued = await recordAt(caller, link.caller.index);
      expect(issued?.record).toMatchObject({
        kind: 'decision',
        taskId: delegated,
        credential: { jti: link.jti, audience: ORDERS },
      });
      const continued = await recordAt(callee, link.callee.index);
      expect(continued?.record).toMatchObject({
        kind: 'task-start',
        taskId: delegated,
        inbound: { jti: link.jti },
      });

      // the tree: alice's task in the caller's log, the delegation, its call, the server's task under it
      const [root] = doc.tasks as TaskNode[];
      expect(doc.tasks).toHaveLength(1);
      expect(root).toMatchObject({ taskId: joinedTask, log: caller.log, service: 'support-desk' });
      const sub = root?.delegations[0];
      expect(sub).toMatchObject({ taskId: delegated, log: caller.log });
      const call = sub?.calls[0];
      expect(call?.index).toBe(link.caller.index);
      expect(call?.callees?.[0]).toMatchObject({ taskId: delegated, log: callee.log, service: 'orders-mcp' });
      expect(call?.callees?.[0]?.records[0]?.index).toBe(link.callee.index);
      expect(call?.callees?.[0]?.calls[0]).toMatchObject({
        tool: 'lookup_order',
        decision: { effect: 'allow' },
      });
      expect(nodes(doc.tasks).every((n) => n.evidence === 'verified')).toBe(true);

      const out = await runCli(args);
      expect(out.code).toBe(0);
      console.log(out.stdout);
      expect(out.stdout).toContain(`✔ verified and anchored ${caller.log}`);
      expect(out.stdout).toContain(`✔ verified and anchored ${callee.log}`);
      expect(out.stdout).toContain(`task ${joinedTask} "Where is order 42?" [support-desk · ${caller.log}]`);
      expect(out.stdout).toContain(`delegation ${delegated} [support-desk · ${caller.log}]`);
      expect(out.stdout).toMatch(
        new RegExp(`→ continued task ${delegated} \\[orders-mcp · ${callee.log}\\]`),
      );
      expect(out.stdout).toMatch(/requester alice@example\.com \(verified\)/);
      expect(out.stdout).not.toContain('findings');

      // the listings take both logs too, each row naming its log
      const tasks = JSON.parse(
        (await runCli(['tasks', caller.log, callee.log, ...evidence(caller, callee), '--json'])).stdout,
      );
      expect(new Set(tasks.tasks.map((t: { log: string }) => t.log))).toEqual(
        new Set([caller.log, callee.log]),
      );
      const calls = await runCli(['calls', caller.log, callee.log, ...evidence(caller, callee)]);
      expect(calls.code).toBe(0);
      const lines = calls.stdout.split('\n');
      expect(lines.find((l) => l.startsWith('TIME'))).toMatch(/ EVIDENCE +LOG$/);
      expect(lines.find((l) => l.includes(' lookup_order '))).toMatch(
        new RegExp(` verified +${callee.log}$`),
      );
      expect(lines.find((l) => l.includes(' lookup_remote_order '))).toMatch(
        new RegExp(` verified +${caller.log}$`),
      );
    },
  );

  it(
    attack(
      'multilog-forged-callee-task',
      'a third log whose task claims to continue the delegated task with a jti nobody issued: a finding at (that log, its task-start), exit 1',
    ),
    async () => {
      const args = [
        'explain',
        caller.log,
        callee.log,
        forged.log,
        '--task',
        joinedTask,
        ...evidence(caller, callee, forged),
      ];
      const json = await runCli([...args, '--json']);
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout);
      // the forged log itself verifies: its key signs what it holds; what it claims does not join
      expect(doc.logs[2].verification.state).toBe('anchored');
      const start = (await readVerifiedLog(forged.log, { verifierKey: forged.key })).records.find(
        (r) => r.record?.kind === 'task-start',
      );
      expect(doc.findings).toEqual([
        {
          kind: 'unmatched-inbound',
          log: forged.log,
          index: start?.index,
          message: expect.stringContaining('forged-0000-jti'),
        },
      ]);
      expect(doc.links).toHaveLength(1);
      expect(doc.links[0].callee.log).toBe(callee.log);
      const out = await runCli(args);
      console.log(out.stdout);
      expect(out.code).toBe(1);
      expect(out.stdout).toContain('findings (1)');
      expect(out.stdout).toContain(
        `✖ unmatched-inbound at ${forged.log} record ${start?.index}: task ${delegated} presented credential forged-0000-jti`,
      );
    },
  );

  it(
    attack(
      'multilog-call-without-callee',
      "a call issued a credential for the orders server, whose log is in the set, with no task there: a finding at the caller's decision record",
    ),
    async () => {
      const json = await runCli([
        'explain',
        caller.log,
        callee.log,
        '--task',
        unusedTask,
        ...evidence(caller, callee),
        '--json',
      ]);
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout);
      const call = (doc.tasks as TaskNode[])[0]?.calls[0];
      expect(call?.tool).toBe('check_orders_later');
      expect(doc.findings).toEqual([
        {
          kind: 'call-without-callee-task',
          log: caller.log,
          index: call?.index,
          message: expect.stringContaining(`${callee.log} holds no task that presented it`),
        },
      ]);
    },
  );

  for (const which of ['caller', 'callee'] as const)
    it(
      attack(
        'multilog-flipped-byte',
        `a byte flipped in the ${which}'s log: that log fails, named; nothing from it is shown as verified; exit 1`,
      ),
      async () => {
        const copy = join(dir, `flipped-${which}`);
        const flipped = await flippedCopy(which === 'caller' ? caller : callee, copy);
        const sides = which === 'caller' ? [flipped, callee] : [caller, flipped];
        const args = ['explain', ...sides.map((s) => s.log), '--task', joinedTask, ...evidence(...sides)];
        const json = await runCli([...args, '--json']);
        expect(json.code).toBe(1);
        const doc = JSON.parse(json.stdout);
        const verdict = doc.logs.find((l: { log: string }) => l.log === copy).verification;
        expect(verdict).toMatchObject({ state: 'failed', ok: false });
        const other = doc.logs.find((l: { log: string }) => l.log !== copy).verification;
        expect(other.state).toBe('anchored');
        // the link is shown, its end in the changed log marked as what it is
        expect(doc.links).toHaveLength(1);
        const end = which === 'caller' ? doc.links[0].caller : doc.links[0].callee;
        expect(end).toMatchObject({ log: copy, evidence: 'failed' });
        const fromFlipped = nodes(doc.tasks).filter((n) => n.log === copy);
        expect(fromFlipped.length).toBeGreaterThan(0);
        for (const n of fromFlipped) {
          expect(n.evidence).not.toBe('verified');
          for (const c of n.calls) expect(c.evidence).not.toBe('verified');
        }
        const out = await runCli(args);
        console.log(out.stdout);
        expect(out.code).toBe(1);
        expect(out.stdout).toContain(`✖ does not verify ${copy}: first bad record ${verdict.firstBadIndex}`);
      },
    );
});

// Issue 21 item 6: an investigator's page over many logs. The BUILT `writ report` over the caller's and
// the orders server's logs (each verified with its own pinned key, anchored with its own checkpoint):
// the chain across both services in one graph, a verification panel per log, each link with both
// (log, record), findings listed and marked where they are, text from the logs escaped.
// Build first (npx turbo run build).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readVerifiedLog } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';
import { evidence, flippedCopy, type MultilogLogs, multilogLogs, type Side } from './multilog-logs.js';

let dir: string;
let logs: MultilogLogs;
const extra: MultilogLogs[] = [];

beforeAll(async () => {
  dir = await tempDir('writ-report-multilog-');
  logs = await multilogLogs(join(dir, 'world'));
}, 60_000);

afterAll(async () => {
  await logs?.cleanup();
  for (const l of extra) await l.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `writ report` over `sides` (each with its key and anchor), with and without --json. */
async function report(name: string, sides: Side[]) {
  const html = join(dir, `${name}.html`);
  const args = ['report', ...sides.map((s) => s.log), '--html', html, ...evidence(...sides)];
  const json = await runCli([...args, '--json']);
  const page = await readFile(html, 'utf8');
  const text = await runCli(args);
  console.log(text.stdout);
  return { json, doc: JSON.parse(json.stdout), page, text };
}

/** The opening tags of the elements of `page` that carry `data-log="<log>"`. */
const fromLog = (page: string, log: string) =>
  [...page.matchAll(/<(?:g|tr|article)\s[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => tag.includes(` data-log="${log}"`));

/** The index of the decision record of the first call of `tool` in a side's log. */
async function decisionOf(side: Side, tool: string): Promise<number | undefined> {
  const { records } = await readVerifiedLog(side.log, { verifierKey: side.key });
  return records.find((r) => r.record?.kind === 'decision' && r.record.call.name === tool)?.index;
}

/** The index of the first record of `kind` in a side's log. */
async function firstOf(side: Side, kind: string): Promise<number | undefined> {
  const { records } = await readVerifiedLog(side.log, { verifierKey: side.key });
  return records.find((r) => r.record?.kind === kind)?.index;
}

describe("the report over many logs: an investigator's page (issue 21 item 6)", () => {
  it(
    attack(
      'report-multilog-chain',
      "writ report over the caller's and the server's logs: both panels verified and anchored, requester → orchestrator → sub-agent → server in one graph, each node labelled with its service and log, the link with both (log, record)",
    ),
    async () => {
      const { caller, callee } = logs;
      const { json, doc, page, text } = await report('joined', [caller, callee]);
      expect(json.stderr).toBe('');
      // alice's other task was issued a credential for the orders server and never used it: the one finding
      expect(json.code).toBe(1);
      expect(
        doc.logs.map((l: { log: string; verification: { state: string } }) => [l.log, l.verification.state]),
      ).toEqual([
        [caller.log, 'anchored'],
        [callee.log, 'anchored'],
      ]);
      expect(doc).toMatchObject({ verified: true, state: 'anchored', unverifiedCalls: 0 });
      expect(doc.findings).toEqual([
        {
          kind: 'call-without-callee-task',
          log: caller.log,
          index: await decisionOf(caller, 'check_orders_later'),
          message: expect.stringContaining(`${callee.log} holds no task that presented it`),
        },
      ]);
      expect(doc.links).toHaveLength(1);
      const [link] = doc.links;
      expect(link).toMatchObject({
        caller: { log: caller.log },
        callee: { log: callee.log },
        taskId: logs.delegated,
      });
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`✔ verified and anchored ${caller.log}`);
      expect(text.stdout).toContain(`✔ verified and anchored ${callee.log}`);
      expect(text.stdout).toContain('1 link(s) between 2 logs');

      // a panel per log: its tag, service, label and the key it was verified with
      for (const [i, side, service] of [
        [1, caller, 'support-desk'],
        [2, callee, 'orders-mcp'],
      ] as const) {
        expect(page).toContain(
          `<section data-log="${side.log}" data-tag="log ${i}" class="verification ok" data-status="anchored"><h2><span class="log-name">log ${i} · ${service}:</span> ✔ Log verified and anchored</h2>`,
        );
        expect(page).toContain(`log <code>${side.log}</code> · key used <code>${side.key}</code>`);
      }
      // one box for alice's task; its graph holds requester → support-bot → ↳ order-reader → the call → ⇢ the server
      const box = page.slice(page.indexOf(`<article class="task" data-task-id="${logs.joinedTask}"`));
      const graph = box.slice(box.indexOf('<svg class="graph"'), box.indexOf('</svg>'));
      const labels = [...graph.matchAll(/class="label">([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(labels).toEqual([
        'alice@example.com',
        'support-bot',
        '↳ order-reader',
        'lookup_remote_order',
        '⇢ orders-mcp',
        'lookup_order',
      ]);
      const subs = [...graph.matchAll(/class="sub">([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(subs).toContain('support-desk · log 1');
      expect(subs).toContain('orders-mcp · log 2');
      expect(graph).toContain(
        `class="link-label">log 1 #${link.caller.index} → log 2 #${link.callee.index}</text>`,
      );
      expect(graph).toContain('<path class="edge link" ');
      expect(page).toContain(
        `<tr class="link" data-status="proven" data-caller-log="${caller.log}" data-caller-index="${link.caller.index}" data-callee-log="${callee.log}" data-callee-index="${link.callee.index}">`,
      );
      expect(page).toContain('<h2>✖ Findings (1): what does not join</h2>');
      expect(page).toMatch(
        new RegExp(
          `<tr data-verdict="allow" data-call-id="[^"]+" data-log="${caller.log}" data-finding="call-without-callee-task">`,
        ),
      );
      // every node and row from either log is verified: nothing is marked but the finding
      for (const side of [caller, callee]) {
        const tags = fromLog(page, side.log);
        expect(tags.length).toBeGreaterThan(0);
        for (const tag of tags) expect(tag).not.toContain('data-evidence');
      }
    },
  );

  it(
    attack(
      'report-multilog-forged-highlighted',
      "a third log whose task claims to continue alice's delegated task with a jti nobody issued: listed as a finding at (that log, its task-start), its task box and node marked in words, no link to it; exit 1",
    ),
    async () => {
      const { caller, callee, forged } = logs;
      const { doc, page, text } = await report('forged', [caller, callee, forged]);
      expect(text.code).toBe(1);
      const start = await firstOf(forged, 'task-start');
      expect(doc.findings.filter((f: { log: string }) => f.log !== caller.log)).toEqual([
        {
          kind: 'unmatched-inbound',
          log: forged.log,
          index: start,
          message: expect.stringContaining(logs.forgedJti),
        },
      ]);
      expect(text.stdout).toContain(`✖ unmatched-inbound at ${forged.log} record ${start}`);
      // the forged log verifies (its key signs what it holds): what it claims does not join
      expect(page).toContain(
        `<section data-log="${forged.log}" data-tag="log 3" class="verification ok" data-status="anchored">`,
      );
      expect(page).toContain('<h2>✖ Findings (2): what does not join</h2>');
      expect(page).toContain(
        `<li class="finding" data-kind="unmatched-inbound" data-log="${forged.log}" data-index="${start}"><strong>✖ unmatched-inbound</strong> at <code class="at">log 3 record ${start}</code>: task ${logs.delegated} presented credential ${logs.forgedJti}`,
      );
      const box = fromLog(page, forged.log).find((tag) => tag.startsWith('<article'));
      expect(box).toContain('data-finding="unmatched-inbound"');
      expect(page).toMatch(
        /<dt><strong class="finding">finding<\/strong><\/dt><dd><span class="finding"><strong>✖ unmatched-inbound<\/strong> at log 3 record/,
      );
      expect(page).toMatch(
        new RegExp(
          `<g class="node agent finding" data-task-id="${logs.delegated}" data-log="${forged.log}"[^>]* data-finding="unmatched-inbound">`,
        ),
      );
      // the only link is the real one: nothing joins the forged task
      expect(page.match(/<tr class="link" /g)).toHaveLength(1);
      expect(page).not.toContain(`data-callee-log="${forged.log}"`);
    },
  );

  for (const which of ['caller', 'callee'] as const)
    it(
      attack(
        'report-multilog-flipped-byte',
        `a byte flipped in the ${which}'s log: its panel says it does not verify and names the first bad record; every node and row from it is marked, the link unproven in words; exit 1`,
      ),
      async () => {
        const side = which === 'caller' ? logs.caller : logs.callee;
        const flipped = await flippedCopy(side, join(dir, `flipped-${which}`));
        const sides = which === 'caller' ? [flipped, logs.callee] : [logs.caller, flipped];
        const { doc, page, text } = await report(`flipped-${which}`, sides);
        expect(text.code).toBe(1);
        const verdict = doc.logs.find((l: { log: string }) => l.log === flipped.log).verification;
        expect(verdict).toMatchObject({ state: 'failed', ok: false });
        expect(doc).toMatchObject({ verified: false, state: 'failed' });
        expect(text.stdout).toContain(
          `✖ does not verify ${flipped.log}: first bad record ${verdict.firstBadIndex}`,
        );
        const tag = which === 'caller' ? 1 : 2;
        expect(page).toContain(
          `<section data-log="${flipped.log}" data-tag="log ${tag}" class="verification failed" data-status="failed" data-first-bad-index="${verdict.firstBadIndex}"><h2><span class="log-name">log ${tag} · ${which === 'caller' ? 'support-desk' : 'orders-mcp'}:</span> ✖ Log does NOT verify</h2><p>First bad record <strong class="first-bad">${verdict.firstBadIndex}</strong>`,
        );
        // nothing from it shown as verified
        const tags = fromLog(page, flipped.log);
        expect(tags.length).toBeGreaterThan(0);
        for (const t of tags) expect(t).toMatch(/data-evidence="(failed|unsealed|unverified)"/);
        expect(page).toMatch(/<tr class="link" data-status="unproven"/);
        expect(page).toContain(`<strong>✖ not proven: ${which}&#39;s record does not verify</strong>`);
        expect(page).toContain('<path class="edge link unproven" ');
        expect(page).not.toContain('✔ both ends verified');
      },
    );

  it(
    attack(
      'report-multilog-hostile-text',
      'a forged log whose service, jti and issuer-facing text carry HTML and bidi overrides: escaped in the panel, the finding and the graph; the page runs no script of theirs',
    ),
    async () => {
      const evil = `<img src=x onerror=alert(1)>\u202eevil`;
      const hostile = await multilogLogs(join(dir, 'hostile'), {
        forgedJti: evil,
        forgedService: `svc ${evil}`,
      });
      extra.push(hostile);
      const { doc, page, text } = await report('hostile', [hostile.caller, hostile.callee, hostile.forged]);
      expect(text.code).toBe(1);
      const finding = doc.findings.find((f: { kind: string }) => f.kind === 'unmatched-inbound');
      expect(finding.message).toContain(evil);
      expect(page).not.toContain('<img');
      expect(page).not.toContain('\u202e');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;[U+202E]evil');
      expect(page).toContain(
        `<span class="log-name">log 3 · svc &lt;img src=x onerror=alert(1)&gt;[U+202E]evil:</span>`,
      );
      expect(page.match(/<script>/g)).toHaveLength(1);
      expect(page.match(/<li class="finding"/g)).toHaveLength(2);
      expect(page).not.toContain('\u001b');
      expect(text.stdout).not.toContain('\u202e');
    },
  );
});

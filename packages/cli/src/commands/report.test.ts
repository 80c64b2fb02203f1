// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess (build before running), then opens
// the report it wrote in REAL headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core).
// Without Chromium these tests fail; they never skip.
import { existsSync } from 'node:fs';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  buildFixtureLog,
  type FixtureLog,
  HOSTILE_INTENT,
  runCli,
  tamperedCopy,
  tempDir,
} from '../__support__/cli.js';
import { GRAPH_COLORS } from '../report/task-graph.js';

const CHROMIUM = process.env.WRIT_CHROMIUM ?? '/usr/bin/chromium';

const reportJson = z.strictObject({
  html: z.string().endsWith('.html'),
  verified: z.boolean(),
  state: z.enum(['anchored', 'unanchored', 'unpinned', 'failed']).nullable(),
  unproven: z.array(z.string()),
  unverifiedCalls: z.number().int().nonnegative(),
  firstBadIndex: z.number().int().nonnegative().nullable(),
  reason: z.string().nullable(),
  tasks: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
  verdicts: z.strictObject({
    allow: z.number().int(),
    approval: z.number().int(),
    deny: z.number().int(),
    refused: z.number().int(),
  }),
  unreadable: z.number().int().nonnegative(),
  logs: z.array(
    z.object({
      log: z.string(),
      verification: z.object({ state: z.string() }).nullable(),
      unreadable: z.array(z.unknown()),
    }),
  ),
  links: z.array(z.unknown()),
  findings: z.array(z.unknown()),
});

let fixture: FixtureLog;
let browser: Browser;

beforeAll(async () => {
  fixture = await buildFixtureLog(await tempDir());
  expect(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} (apt-get install chromium)`).toBe(true);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await rm(fixture.dir, { recursive: true, force: true });
});

/** Opens a report, recording console errors, page errors and every request the page makes. */
async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await context.route('**/*', async (route) => {
    const requested = route.request().url();
    if (requested === url) await route.continue();
    else {
      requests.push(requested);
      await route.abort();
    }
  });
  page.on('request', (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  await page.goto(url);
  await page.waitForLoadState('load');
  return { page, errors, requests };
}

/** The browser globals used inside `evaluate` (this package type-checks without the DOM lib). */
type BrowserGlobals = {
  getComputedStyle(element: unknown): { fill: string };
  __pwned?: number;
};
const rgb = (hex: string) => {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
};

describe.concurrent('writ report --html', () => {
  it('writes a self-contained page: graph per task, a row per call, filters, verified and anchored, no network, no errors', async () => {
    const out = join(fixture.dir, 'out', 'report.html');
    const anchor = join(fixture.dir, 'anchor.checkpoint');
    await copyFile(join(fixture.logDir, 'checkpoint'), anchor);
    const r = await runCli([
      'report',
      fixture.logDir,
      '--html',
      out,
      '--key',
      fixture.verifierKey,
      '--checkpoint',
      anchor,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = reportJson.parse(JSON.parse(r.stdout));
    expect(json).toMatchObject({
      html: out,
      verified: true,
      state: 'anchored',
      unproven: [],
      unverifiedCalls: 0,
      tasks: 2,
      calls: 5,
      unreadable: 0,
    });
    expect(json.verdicts).toEqual({ allow: 2, approval: 1, deny: 1, refused: 1 });
    expect(json.logs).toMatchObject([{ log: fixture.logDir, verification: { state: 'anchored' } }]);
    expect(json.links).toEqual([]);
    expect(json.findings).toEqual([]);

    const html = await readFile(out, 'utf8');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i); // nothing external referenced
    expect(html).not.toContain('<script>window.__pwned'); // the log's markup is escaped
    expect(html).toContain('http-equiv="Content-Security-Policy"');

    const { page, errors, requests } = await open(out);
    try {
      await expect(page.locator('#verification').getAttribute('data-status')).resolves.toBe('anchored');
      await expect(page.locator('#verification h2').textContent()).resolves.toBe(
        '✔ Log verified and anchored',
      );
      await expect(page.locator('[data-evidence]').count()).resolves.toBe(0);

      // one authority-chain graph per task, one node per call, coloured by decision
      await expect(page.locator('article.task svg.graph').count()).resolves.toBe(2);
      await expect(page.locator('svg.graph g.node.call').count()).resolves.toBe(5);
      for (const [callId, verdict] of Object.entries(fixture.calls)) {
        const node = page.locator(`svg.graph g.node.call[data-call-id="${callId}"]`);
        await expect(node.count()).resolves.toBe(1);
        await expect(node.getAttribute('data-verdict')).resolves.toBe(verdict);
        const fill = await node
          .locator('rect')
          .evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).fill);
        expect(fill, callId).toBe(rgb(GRAPH_COLORS[verdict]));
      }
      const refundGraph = page.locator(`article.task[data-task-id="${fixture.tasks.refund}"] svg.graph`);
      await expect(refundGraph.locator('g.node.requester text.label').textContent()).resolves.toBe(
        'alice@example.com',
      );
      await expect(refundGraph.locator('g.node.agent text.label').allTextContents()).resolves.toEqual([
        'support',
        '↳ billing',
      ]);
      await expect(refundGraph.locator('path.edge').count()).resolves.toBe(6); // requester→support→3, support→billing→2

      // the table: one row per call; typing in the filter hides rows; the decision filter too
      const rows = page.locator('#calls tbody tr');
      await expect(rows.count()).resolves.toBe(5);
      const visible = () => page.locator('#calls tbody tr:visible').count();
      await expect(visible()).resolves.toBe(5);
      await page.locator('#filter').pressSequentially('delete_cust');
      await expect(visible()).resolves.toBe(1);
      await expect(page.locator('#calls tbody tr:visible').getAttribute('data-call-id')).resolves.toBe(
        'call-delete',
      );
      await expect(page.locator('#shown').textContent()).resolves.toBe('1 of 5 calls shown');
      await page.locator('#filter').fill('');
      await expect(visible()).resolves.toBe(5);
      await page.locator('#filter').fill('bob@example');
      await expect(visible()).resolves.toBe(1);
      await page.locator('#filter').fill('');
      await page.locator('#decision-filter').selectOption('allow');
      await expect(visible()).resolves.toBe(2);
      await page.locator('#decision-filter').selectOption('refused');
      await expect(page.locator('#calls tbody tr:visible').getAttribute('data-call-id')).resolves.toBe(
        'call-wire',
      );
      await page.locator('#decision-filter').selectOption('');
      // clicking a call node filters the table to that call
      await page.locator('svg.graph g.node.call[data-call-id="call-refund"]').click();
      await expect(visible()).resolves.toBe(1);

      // the hostile intent is shown as text, never run or loaded
      await expect(page.locator('article.task h2').first().textContent()).resolves.toContain(HOSTILE_INTENT);
      await expect(
        page.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned),
      ).resolves.toBeUndefined();
      await expect(page.locator('img').count()).resolves.toBe(0);
      await expect(page.locator('script').count()).resolves.toBe(1);

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('still writes the report for a tampered log, exits 1, and the page says where verification failed', async () => {
    const copy = join(fixture.dir, 'tampered');
    await tamperedCopy(fixture.logDir, copy, 2);
    const out = join(fixture.dir, 'tampered.html');
    const r = await runCli(['report', copy, '--html', out, '--key', fixture.verifierKey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`wrote ${out}`);
    expect(r.stdout).toMatch(/✖ does not verify: first bad record 2: record 2 was altered/);
    const { page, errors, requests } = await open(out);
    try {
      await expect(page.locator('#verification').getAttribute('data-status')).resolves.toBe('failed');
      await expect(page.locator('#verification').getAttribute('data-first-bad-index')).resolves.toBe('2');
      await expect(page.locator('#verification').textContent()).resolves.toContain('record 2 was altered');
      // every call with a record the failed verification does not prove is marked, in the table and the
      // graph: the log's only checkpoint is at its end, so nothing in it is proven, all five
      await expect(page.locator('#calls tbody tr[data-evidence="failed"]').count()).resolves.toBe(5);
      await expect(page.locator('svg.graph g.node.call[data-evidence="failed"]').count()).resolves.toBe(5);
      await expect(
        page.locator('#calls tbody tr[data-call-id="call-lookup"] td.evidence').textContent(),
      ).resolves.toBe('✖ not verified: record 1 (decision), record 2 (outcome)');
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('usage errors exit 2 (no --html), an unreadable log exits 3', async () => {
    const missing = await runCli(['report', fixture.logDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--html/);
    const nowhere = await runCli([
      'report',
      join(fixture.dir, 'nowhere'),
      '--html',
      join(fixture.dir, 'x.html'),
    ]);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toMatch(/^WRIT_AUDIT_UNAVAILABLE: /);
  });

  it('over two logs: each pinned with its own --key <log>=…, a panel per log; the page loads nothing and runs without errors', async () => {
    const other = await buildFixtureLog(await tempDir());
    try {
      const out = join(fixture.dir, 'two.html');
      const both = [fixture.logDir, other.logDir];
      const keys = [
        '--key',
        `${fixture.logDir}=${fixture.verifierKey}`,
        '--key',
        `${other.logDir}=${other.verifierKey}`,
      ];
      // a --key that names no log given, or a log given twice a key, is a usage error (as for explain)
      const unnamed = await runCli(['report', ...both, '--html', out, '--key', fixture.verifierKey]);
      expect(unnamed.code).toBe(2);
      expect(unnamed.stderr).toMatch(/give --key <log>=<value>/);
      const twice = await runCli([
        'report',
        ...both,
        '--html',
        out,
        ...keys,
        '--key',
        `${other.logDir}=${other.verifierKey}`,
      ]);
      expect(twice.code).toBe(2);
      const r = await runCli(['report', ...both, '--html', out, ...keys, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(4); // both verified with their pinned keys, neither anchored
      const json = reportJson.parse(JSON.parse(r.stdout));
      expect(json).toMatchObject({
        verified: true,
        state: 'unanchored',
        firstBadIndex: null,
        tasks: 4,
        calls: 10,
      });
      expect(json.logs.map((l) => [l.log, l.verification?.state])).toEqual([
        [fixture.logDir, 'unanchored'],
        [other.logDir, 'unanchored'],
      ]);
      const { page, errors, requests } = await open(out);
      try {
        const panels = page.locator('#verification .verification[data-log]');
        await expect(panels.count()).resolves.toBe(2);
        await expect(panels.nth(1).getAttribute('data-log')).resolves.toBe(other.logDir);
        await expect(page.locator('#findings h2').textContent()).resolves.toBe('No findings');
        await expect(page.locator('#calls tbody tr').count()).resolves.toBe(10);
        await expect(page.locator('script').count()).resolves.toBe(1);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await page.context().close();
      }
    } finally {
      await rm(other.dir, { recursive: true, force: true });
    }
  });
});

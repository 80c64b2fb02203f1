// The HTML report's layout, checked in REAL headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) on a real log written by the pipeline: at 1280 and 1400 px wide and in print, every
// call's decision, policies, approval, credential and outcome are on screen (inside the viewport, not
// clipped by an overflowing container), the graph of a continued task shows each upstream agent, and each
// task box shows its intent and one status. It runs the BUILT binary (build first: npx turbo run build).
// Screenshots are written under test-results/report-layout/ (the path is printed).
// Without Chromium it skips, saying so; under CI (CI=true, where .ci/run installs Chromium) it fails.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../__support__/cli.js';
import { buildLayoutLog, type LayoutLog } from '../__support__/report-log.js';

const CHROMIUM = process.env.WRIT_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP = !HAVE_CHROMIUM && process.env.CI === undefined;
if (SKIP) {
  console.warn(
    `report layout tests SKIPPED: no browser binary at ${CHROMIUM} (apt-get install chromium, or set WRIT_CHROMIUM)`,
  );
}
const SHOTS = fileURLToPath(new URL('../../../../test-results/report-layout/', import.meta.url));

/** A4 portrait at 96 dpi, the width a printout lays the page out in. */
const PRINT_WIDTH = 794;

let dir: string;
let log: LayoutLog;
let html: string;
/** The report over the payments API's log and the shop's (the caller of its continued task). */
let joined: string;
let browser: Browser;

beforeAll(async () => {
  if (SKIP) return;
  expect(HAVE_CHROMIUM, `Chromium is required at ${CHROMIUM} under CI (apt-get install chromium)`).toBe(true);
  dir = await tempDir('writ-report-layout-');
  log = await buildLayoutLog(dir);
  html = join(dir, 'report.html');
  const r = await runCli(['report', log.logDir, '--html', html, '--key', log.verifierKey]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(4); // verified with a pinned key, unanchored (no --checkpoint)
  joined = join(dir, 'joined.html');
  const both = await runCli([
    'report',
    log.logDir,
    log.shop.logDir,
    '--html',
    joined,
    '--key',
    `${log.logDir}=${log.verifierKey}`,
    '--key',
    `${log.shop.logDir}=${log.shop.verifierKey}`,
  ]);
  expect(both.stderr).toBe('');
  expect(both.code).toBe(1); // findings: the shop's unused credential for the payments API, another intent
  await mkdir(SHOTS, { recursive: true });
  console.log(`report layout screenshots: ${SHOTS}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function open(width: number, media: 'screen' | 'print', file = html): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.emulateMedia({ media });
  await page.goto(pathToFileURL(file).href);
  await page.waitForLoadState('load');
  return page;
}

/** The browser globals used inside `evaluate` (this package type-checks without the DOM lib). */
interface El {
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly tagName: string;
  readonly className: unknown;
  getAttribute(name: string): string | null;
}

/** Elements (matching `selector`) whose content is wider than their box: clipped or scrolled sideways. */
async function overflowing(page: Page, selector: string): Promise<string[]> {
  return page
    .locator(selector)
    .evaluateAll((elements: unknown[]) =>
      (elements as El[])
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map(
          (el) =>
            `${el.tagName.toLowerCase()}.${String(el.getAttribute('class') ?? '')} ${el.scrollWidth}>${el.clientWidth}`,
        ),
    );
}

/** Asserts `locator` is visible and lies within 0..width horizontally; returns its right edge. */
async function onScreen(locator: Locator, width: number, what: string): Promise<number> {
  await expect(locator.isVisible(), `${what} is visible`).resolves.toBe(true);
  const box = await locator.boundingBox();
  expect(box, `${what} has a box`).not.toBeNull();
  const { x, width: w, height: h } = box as { x: number; width: number; height: number };
  expect(w * h, `${what} is not empty`).toBeGreaterThan(0);
  expect(x, `${what} starts inside the viewport`).toBeGreaterThanOrEqual(0);
  expect(x + w, `${what} ends inside the ${width}px viewport`).toBeLessThanOrEqual(width);
  return x + w;
}

/** The text as a reader sees it (line breaks between blocks, hidden text left out). */
// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is checked
const rendered = (locator: Locator): Promise<string> => locator.innerText();

const CELLS = ['decision', 'policies', 'approval', 'credential', 'outcome'] as const;

async function checkLayout(page: Page, width: number, shot: string): Promise<void> {
  // nothing on the page scrolls sideways: the page itself, the calls table, its cells, the task boxes
  await expect(
    page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: El } }).document.documentElement;
      return root.scrollWidth <= root.clientWidth;
    }),
    'the page does not scroll sideways',
  ).resolves.toBe(true);
  // (an id's head is the one thing meant to be cut: its middle is elided, its tail and tooltip stay)
  expect(
    await overflowing(
      page,
      '.table-wrap, #calls, #calls th, #calls td, #calls td *:not(.id-head), article.task, article.task dd, article.task dd *:not(.id-head), .graph-wrap',
    ),
    'containers whose content overflows',
  ).toEqual([]);
  const ids = page.locator('#calls code.id:has(.id-head)');
  expect(await ids.count()).toBeGreaterThan(0);
  for (const id of await ids.all()) {
    const full = await id.getAttribute('title');
    await expect(id.textContent(), 'an elided id keeps its whole value in the page').resolves.toBe(full);
    await expect(id.locator('.id-tail').isVisible()).resolves.toBe(true);
  }

  // every call shows its decision, policies, approval, credential and outcome on screen
  const rows = page.locator('#calls tbody tr');
  await expect(rows.count()).resolves.toBe(Object.keys(log.calls).length);
  let right = 0;
  for (const callId of Object.values(log.calls)) {
    const row = page.locator(`#calls tbody tr[data-call-id="${callId}"]`);
    for (const cell of CELLS) {
      right = Math.max(right, await onScreen(row.locator(`.${cell}`), width, `${cell} of ${callId}`));
    }
  }
  const table = await page
    .locator('.table-wrap')
    .evaluate((el: unknown) => `${(el as El).scrollWidth}/${(el as El).clientWidth}`);
  console.log(
    `report at ${width}px: calls table scrollWidth/clientWidth ${table}; the rightmost decision/policies/approval/credential/outcome ends at ${right}px`,
  );

  // the decisions say what was decided, by which policies; the approval says who, how sure, when and why
  const denied = page.locator(`#calls tbody tr[data-call-id="${log.calls.denied}"]`);
  await expect(rendered(denied.locator('.decision'))).resolves.toMatch(/deny/);
  await expect(rendered(denied.locator('.policies'))).resolves.toContain(
    'payments.customers.never-delete-from-agents',
  );
  const approval = page.locator(`#calls tbody tr[data-call-id="${log.calls.approved}"] .approval`);
  const approvalText = await rendered(approval);
  expect(approvalText).toContain(`granted by ${log.approver}`);
  expect(approvalText).toContain('verified');
  expect(approvalText).toMatch(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/);
  expect(approvalText.replace(/\s+/g, ' ')).toContain(log.approvalReason);
  await expect(
    rendered(page.locator(`#calls tbody tr[data-call-id="${log.calls.refused}"] .approval`)),
  ).resolves.toContain(`refused by ${log.approver}`);
  await expect(
    rendered(page.locator(`#calls tbody tr[data-call-id="${log.calls.failed}"] .outcome`)),
  ).resolves.toMatch(/error/);
  await expect(
    rendered(page.locator(`#calls tbody tr[data-call-id="${log.calls.continued}"] .credential`)),
  ).resolves.toContain('psp.prod.example.com');

  // each task box shows its intent and one status
  for (const intent of log.intents) {
    const shown = page.locator('article.task .intent', { hasText: intent });
    await expect(shown.count(), intent).resolves.toBe(1);
    await onScreen(shown, width, `intent "${intent}"`);
  }
  await expect(page.locator('article.task .status').allInnerTexts()).resolves.toEqual([
    'ended ok',
    'ended error (Error)',
    'ended ok',
  ]);
  await expect(page.getByText('status started').count()).resolves.toBe(0);

  // the continued task's graph and agents show the chain upstream of this service, in order
  const continued = page.locator(`article.task[data-task-id="${log.continued.taskId}"]`);
  const agents = await continued.locator('svg.graph g.node.agent text.label').allTextContents();
  expect(agents).toEqual([...log.continued.upstream, log.continued.agent]);
  for (const name of [...log.continued.upstream, log.continued.agent]) {
    await onScreen(
      continued.locator('svg.graph g.node.agent', { hasText: name }).locator('rect'),
      width,
      `graph node ${name}`,
    );
  }
  await expect(rendered(continued.locator('.agents'))).resolves.toBe(
    [...log.continued.upstream, log.continued.agent].join(' → '),
  );

  const file = join(SHOTS, `${shot}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

/** A box on the page. */
interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * The report over two logs: a verification panel per log, the chain across both services in the shop
 * task's graph (each node on screen, none overlapping another, the link's label under the callee's node
 * and clear of every node), the link and the finding listed and marked, nothing clipped.
 */
async function checkJoined(page: Page, width: number, shot: string): Promise<void> {
  await expect(
    page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: El } }).document.documentElement;
      return root.scrollWidth <= root.clientWidth;
    }),
    'the page does not scroll sideways',
  ).resolves.toBe(true);
  expect(
    await overflowing(
      page,
      '#verification, #verification .verification, #findings, #findings li, #links .table-wrap, table.links td, table.links td *:not(.id-head), .table-wrap, #calls td, article.task dd, .graph-wrap',
    ),
    'containers whose content overflows',
  ).toEqual([]);
  // a panel per log, each saying its state in words
  for (const logDir of [log.logDir, log.shop.logDir]) {
    const panel = page.locator(`#verification .verification[data-log="${logDir}"]`);
    await onScreen(panel, width, `the panel of ${logDir}`);
    await expect(rendered(panel.locator('h2'))).resolves.toMatch(/log \d · .*: ✔ Log verified, unanchored/);
  }
  // the shop's task: carol → shop-orchestrator → ↳ order-researcher → call_payments_api → ⇢ payments-api → charge_card
  const box = page.locator('article.task', { hasText: 'Replace the broken kettle' });
  const graph = box.locator('svg.graph');
  const labels = await graph.locator('g.node text.label').allTextContents();
  expect(labels[0]).toMatch(/^carol\.white@/); // the requester (long ids are clipped in the node)
  // (the payments API recorded another intent than the shop's call: a finding at its task, marked ✖)
  expect(labels.slice(1)).toEqual([
    'shop-orchestrator',
    '✖ notify_payments_later',
    '↳ order-researcher',
    'call_payments_api',
    '✖ ⇢ payments-api',
    'charge_card',
  ]);
  const rects: Box[] = [];
  for (const node of await graph.locator('g.node').all()) {
    const name = await node.locator('text.label').textContent();
    await onScreen(node.locator('rect'), width, `graph node ${name}`);
    rects.push((await node.locator('rect').boundingBox()) as Box);
  }
  for (const [i, a] of rects.entries())
    for (const b of rects.slice(i + 1)) expect(overlap(a, b), 'two graph nodes overlap').toBe(false);
  await expect(
    graph
      .locator('g.node[data-log]')
      .evaluateAll((nodes: unknown[]) =>
        [...new Set((nodes as El[]).map((n) => n.getAttribute('data-log')))].sort(),
      ),
  ).resolves.toEqual([log.logDir, log.shop.logDir].sort());
  const subs = await graph.locator('g.node text.sub').allTextContents();
  expect(subs).toContain('shop-orchestrator · log 2');
  expect(subs).toContain('payments-api · log 1');
  const label = graph.locator('text.link-label');
  await expect(label.count()).resolves.toBe(1);
  // the payments API recorded another intent: the link is marked as a mismatch, in words
  await expect(label.textContent()).resolves.toMatch(/^✖ mismatch log 2 #\d+ → log 1 #\d+$/);
  await onScreen(label, width, 'the link label');
  const labelBox = (await label.boundingBox()) as Box;
  for (const r of rects) expect(overlap(labelBox, r), 'the link label overlaps a node').toBe(false);
  await expect(graph.locator('path.edge.link.unproven').count()).resolves.toBe(1);
  // the findings: listed with their (log, record), the nodes marked in the graph, the call in the table
  const findings = page.locator('#findings li.finding');
  await expect(findings.count()).resolves.toBe(2);
  for (const finding of await findings.all()) await onScreen(finding, width, 'a finding');
  await expect(findings.allInnerTexts()).resolves.toEqual([
    expect.stringMatching(/^✖ intent-mismatch at log 1 record \d+: /),
    expect.stringMatching(/^✖ call-without-callee-task at log 2 record \d+: /),
  ]);
  for (const node of await graph.locator('g.node.finding rect').all())
    await onScreen(node, width, 'the node of a finding');
  const row = page.locator(`#calls tbody tr[data-call-id="${log.shop.calls.unused}"]`);
  await expect(row.getAttribute('data-finding')).resolves.toBe('call-without-callee-task');
  await onScreen(row.locator('.call .finding'), width, 'the finding in the calls table');
  // the link: both ends, proven
  const link = page.locator('#links tr.link');
  await expect(link.count()).resolves.toBe(1);
  for (const cell of ['caller', 'callee', 'credential', 'link-status'])
    await onScreen(link.locator(`td.${cell}`), width, `the link's ${cell}`);
  await expect(rendered(link.locator('td.link-status'))).resolves.toBe(
    '✔ both ends verified\n✖ intent-mismatch',
  );
  await expect(link.getAttribute('data-finding')).resolves.toBe('intent-mismatch');
  await expect(rendered(link.locator('td.caller'))).resolves.toMatch(/shop-orchestrator log 2 record \d+/);
  await expect(rendered(link.locator('td.callee'))).resolves.toMatch(/payments-api log 1 record \d+/);
  const file = join(SHOTS, `${shot}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

/** Opens the report at `width` in `media`, runs `check`, and closes the page whatever happens. */
async function withPage(
  width: number,
  media: 'screen' | 'print',
  check: (page: Page) => Promise<void>,
  file = html,
) {
  const page = await open(width, media, file);
  try {
    await check(page);
  } finally {
    await page.context().close();
  }
}

describe.skipIf(SKIP)('the HTML report in headless Chromium', () => {
  it.each([1280, 1400])(
    'at %i px wide every call shows decision, policies, approval, credential and outcome',
    (width) => withPage(width, 'screen', (page) => checkLayout(page, width, `report-${width}`)),
  );

  it('printed (print media, A4 width) it shows them too, without the filters', () =>
    withPage(PRINT_WIDTH, 'print', async (page) => {
      await checkLayout(page, PRINT_WIDTH, 'report-print');
      await expect(page.locator('.filters').isVisible()).resolves.toBe(false);
      const pdf = join(SHOTS, 'report-print.pdf');
      await page.pdf({ path: pdf, format: 'A4', printBackground: true });
      console.log(`printout: ${pdf}`);
    }));
});

describe.skipIf(SKIP)('the HTML report over two logs in headless Chromium (issue 21 item 6)', () => {
  it.each([1280, 1400])(
    'at %i px wide the chain across both services, the panels, the link and the finding are on screen, unclipped, not overlapping',
    (width) => withPage(width, 'screen', (page) => checkJoined(page, width, `joined-${width}`), joined),
  );

  it('printed (print media, A4 width) too', () =>
    withPage(PRINT_WIDTH, 'print', (page) => checkJoined(page, PRINT_WIDTH, 'joined-print'), joined));
});

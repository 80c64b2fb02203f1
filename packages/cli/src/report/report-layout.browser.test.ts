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

async function open(width: number, media: 'screen' | 'print'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.emulateMedia({ media });
  await page.goto(pathToFileURL(html).href);
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

/** Opens the report at `width` in `media`, runs `check`, and closes the page whatever happens. */
async function withPage(width: number, media: 'screen' | 'print', check: (page: Page) => Promise<void>) {
  const page = await open(width, media);
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

import { createHash } from 'node:crypto';
import { escapeHtml } from './escape-html.js';
import { CALL_COLUMNS, renderCallRow } from './render-call-row.js';
import { renderTask } from './render-task.js';
import { REPORT_CSS } from './report-css.js';
import { type ReportCall, type ReportModel, reportCalls } from './report-model.js';
import { REPORT_SCRIPT } from './report-script.js';
import { GRAPH_DEFS } from './task-graph.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of every report: nothing may load (no network, no images, no frames), and
 * only the report's own inline style and script run (pinned by hash).
 *
 * @example
 * ```ts
 * REPORT_CSP.includes("default-src 'none'"); // true
 * ```
 */
export const REPORT_CSP = [
  "default-src 'none'",
  `style-src ${hash(REPORT_CSS)}`,
  `script-src ${hash(REPORT_SCRIPT)}`,
  "img-src 'none'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const HEADINGS = {
  anchored: '✔ Log verified and anchored',
  unanchored: '✔ Log verified, unanchored',
  unpinned: '⚠ Unpinned: the key was read from the log itself',
} as const;

const CLASSES = { anchored: 'ok', unanchored: 'unanchored', unpinned: 'unpinned' } as const;

function renderVerification(model: ReportModel): string {
  const v = model.verification;
  const unreadable = model.unreadableRecords?.length
    ? `<ul class="unreadable">${model.unreadableRecords.map((r) => `<li>Record ${r.index} cannot be read (${escapeHtml(r.reason)}): what it held is not shown.</li>`).join('')}</ul>`
    : '';
  if (v === undefined) {
    return `<section id="verification" class="verification" data-status="unverified"><h2>Not verified</h2><p>This report was rendered without verifying the log: nothing in it is proven.</p>${unreadable}</section>`;
  }
  const facts = `${v.records} records, ${v.checkpoints} checkpoint(s), ${v.sealed} sealed · key ${v.keyPinned ? 'pinned' : 'read from the log (not pinned)'}${v.anchorSize === undefined ? '' : ` · the given checkpoint covers ${v.anchorSize}`}`;
  const list = (items: readonly string[], cls: string) =>
    items.length ? `<ul class="${cls}">${items.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  const warnings = list(v.warnings, 'warnings');
  const origin = `<p class="meta">origin <code>${escapeHtml(v.origin)}</code> · root <code>${escapeHtml(v.root)}</code></p>`;
  if (v.state !== 'failed') {
    const unproven = v.unproven.length ? `<p>It cannot rule out:</p>${list(v.unproven, 'unproven')}` : '';
    const advice =
      v.state === 'unpinned'
        ? '<p>Every check passed with the key the log names itself, which proves nothing against someone who rewrote the log and re-signed it. Verify with the key obtained independently (<code>--key</code>).</p>'
        : '';
    return `<section id="verification" class="verification ${CLASSES[v.state]}" data-status="${v.state}"><h2>${HEADINGS[v.state]}</h2>${advice}<p>${escapeHtml(facts)}</p>${origin}${unproven}${warnings}${unreadable}</section>`;
  }
  return (
    `<section id="verification" class="verification failed" data-status="failed" data-first-bad-index="${escapeHtml(v.firstBadIndex ?? '')}">` +
    `<h2>✖ Log does NOT verify</h2><p>First bad record <strong>${escapeHtml(v.firstBadIndex ?? '?')}</strong>: ${escapeHtml(v.reason ?? '')}</p>` +
    `<p>${escapeHtml(facts)}</p>${origin}${warnings}${unreadable}<p class="meta">Records from ${escapeHtml(v.firstBadIndex ?? 0)} on are read as they stand and marked: treat them as untrusted.</p></section>`
  );
}

/**
 * Renders a {@link ReportModel} as one self-contained HTML page: the verification verdict at the top
 * (what its state proves and cannot rule out); per task a box headed by its intent, with its one state
 * (`ended ok`, `ended error (…)`, `running (no task-end)`, `refused …`), requester, whole agent chain,
 * where a continued task came from, and an inline-SVG authority-chain graph (requester → upstream agents →
 * agent → calls, coloured allow green, approval amber, deny / refused red); then a table of every call
 * (call, decision and reasons, policies, approval with approver, assurance, time and reason, credential,
 * outcome, evidence) laid out to fit the page from 1280 px wide and in print, with a text filter and a
 * decision filter (plain inline JavaScript). Calls and tasks built from records that are not all verified
 * are marked (`data-evidence`, outlined, and said in their evidence cell). No external URL is referenced;
 * a CSP meta tag (`default-src 'none'`) forbids every load and pins the inline style and script by hash.
 * Everything from the log is HTML-escaped, and bidi controls in it are shown as `[U+202E]` markers.
 *
 * @example
 * ```ts
 * import { buildReportModel, renderReport } from '@writ/cli';
 * await writeFile('report.html', renderReport(await buildReportModel('.writ/audit')));
 * ```
 */
export function renderReport(model: ReportModel): string {
  const rows = reportCalls(model.tasks);
  const count = (v: ReportCall['verdict']) => rows.filter((r) => r.verdict === v).length;
  const title = model.title ?? 'Writ audit report';
  const unreadable = model.unreadable ?? 0;
  const summary = [
    `${model.tasks.length} task(s)`,
    `${rows.length} call(s)`,
    `${count('allow')} allowed`,
    `${count('approval')} approved`,
    `${count('deny')} denied`,
    `${count('refused')} refused`,
    ...(unreadable > 0 ? [`${unreadable} unreadable record(s) left out`] : []),
  ];
  const tasks = model.tasks.length
    ? model.tasks.map((task) => renderTask(task, model.recordFacts)).join('')
    : '<p class="empty">The log holds no tasks.</p>';
  const options = ['allow', 'approval', 'deny', 'refused']
    .map((v) => `<option value="${v}">${v}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="writ report">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${GRAPH_DEFS}
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">log <code>${escapeHtml(model.source)}</code> · generated ${escapeHtml(model.generatedAt)}</p>
${renderVerification(model)}
<ul class="summary">${summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
</header>
<main>
<section class="tasks" aria-label="tasks">${tasks}</section>
<section class="calls-section" aria-label="calls">
<h2>Calls</h2>
<div class="filters">
<label>Filter <input id="filter" type="search" placeholder="tool, agent, requester, policy, id…" autocomplete="off"></label>
<label>Decision <select id="decision-filter"><option value="">all</option>${options}</select></label>
<span id="shown" aria-live="polite">${rows.length} of ${rows.length} calls shown</span>
</div>
<div class="table-wrap"><table id="calls">
<colgroup>${CALL_COLUMNS.map((c) => `<col class="c-${c.key}">`).join('')}</colgroup>
<thead><tr>${CALL_COLUMNS.map((c) => `<th scope="col" class="${c.key}">${c.heading}</th>`).join('')}</tr></thead>
<tbody>${rows.map((row) => renderCallRow(row, model.recordFacts)).join('\n')}</tbody>
</table></div>
</section>
</main>
<footer><p class="meta">Rendered by writ report. Verify the log yourself with <code>writ verify &lt;log-dir&gt; --key &lt;verifier-key&gt; --checkpoint &lt;a checkpoint kept elsewhere&gt;</code>.</p></footer>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

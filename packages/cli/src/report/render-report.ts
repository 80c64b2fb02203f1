import { createHash } from 'node:crypto';
import { escapeHtml } from './escape-html.js';
import { CALL_COLUMNS, renderCallRow } from './render-call-row.js';
import { joinView, renderFindings, renderLinks, renderLogPanels, renderVerdictPanel } from './render-logs.js';
import { renderTask } from './render-task.js';
import { REPORT_CSS } from './report-css.js';
import { factsOf, type ReportCall, type ReportModel, reportCalls } from './report-model.js';
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
 * Over several logs (`model.logs`, from `buildJoinedReportModel`): a verification panel per log (its
 * tag, services, state or first bad record, label and key), the findings (each at its log and record,
 * and marked in words on the task, node and call it is at), a table of the links between the logs (both
 * ends, the credential, whether both ends are proven), and each task's graph across services: a callee's
 * task under the caller's call, every node saying its service and log, each link's edge labelled with
 * both (log, record) and drawn dashed red, `✖ unproven`, when an end is not verified.
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
    ...(model.logs === undefined
      ? []
      : [
          `${model.logs.length} logs`,
          `${model.links?.length ?? 0} link(s)`,
          `${model.findings?.length ?? 0} finding(s)`,
        ]),
  ];
  const join = joinView(model);
  const tasks = model.tasks.length
    ? model.tasks.map((task) => renderTask(task, factsOf(model, task.log), join)).join('')
    : `<p class="empty">${model.logs === undefined ? 'The log holds' : 'The logs hold'} no tasks.</p>`;
  const where =
    model.logs === undefined
      ? `log <code>${escapeHtml(model.source)}</code>`
      : `${model.logs.length} logs, one investigation: ${model.logs.map((l) => `${escapeHtml(l.tag)} <code>${escapeHtml(l.log)}</code>`).join(' · ')}`;
  const verification =
    model.logs === undefined
      ? renderVerdictPanel(model.verification, model.unreadableRecords ?? [])
      : renderLogPanels(model);
  const joined = model.logs === undefined ? '' : `${renderFindings(model)}\n${renderLinks(model)}\n`;
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
<p class="meta">${where} · generated ${escapeHtml(model.generatedAt)}</p>
${verification}
<ul class="summary">${summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
</header>
<main>
${joined}<section class="tasks" aria-label="tasks">${tasks}</section>
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
<tbody>${rows.map((row) => renderCallRow(row, factsOf(model, row.task.log), join)).join('\n')}</tbody>
</table></div>
</section>
</main>
<footer><p class="meta">Rendered by writ report. Verify the log yourself with <code>writ verify &lt;log-dir&gt; --key &lt;verifier-key&gt; --checkpoint &lt;a checkpoint kept elsewhere&gt;</code>.</p></footer>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

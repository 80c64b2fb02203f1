import { createHash } from 'node:crypto';
import type { TaskNode } from '@writ/audit';
import { escapeHtml } from './escape-html.js';
import { evidenceNote } from './evidence-note.js';
import { type ReportCall, type ReportModel, reportCalls } from './report-model.js';
import { GRAPH_DEFS, renderTaskGraph } from './task-graph.js';

const CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 16px 24px; }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 17px; margin: 20px 0 8px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0; }
.verification { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 8px; padding: 12px 16px; background: var(--panel); }
.verification.ok { border-left-color: var(--ok); }
.verification.failed { border-left-color: var(--bad); }
.verification.unanchored, .verification.unpinned { border-left-color: var(--warn); }
.verification h2 { margin: 0 0 6px; }
.verification.ok h2 { color: var(--ok); }
.verification.failed h2 { color: var(--bad); }
.verification.unanchored h2, .verification.unpinned h2 { color: var(--warn); }
.verification ul.unreadable { color: var(--bad); }
.verification ul { margin: 6px 0 0; padding-left: 20px; color: var(--warn); }
.summary { display: flex; gap: 16px; flex-wrap: wrap; margin: 12px 0 0; padding: 0; list-style: none; }
.summary li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; }
.task { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
.task dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
.task dt { color: var(--muted); }
.task dd { margin: 0; }
.graph-wrap { overflow-x: auto; }
.graph-defs { position: absolute; }
svg.graph text { fill: #ffffff; font: 12px system-ui, sans-serif; pointer-events: none; }
svg.graph text.sub { font-size: 10px; opacity: 0.92; }
svg.graph .edge { fill: none; stroke: var(--muted); stroke-width: 1.5; }
.arrowhead { fill: #59636e; }
svg.graph g.node.call { cursor: pointer; }
svg.graph g.node.call:focus rect, svg.graph g.node.call:hover rect { stroke: var(--fg); stroke-width: 2; }
.filters { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.filters input, .filters select { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
.filters input { min-width: 280px; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
td.id { white-space: nowrap; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); position: sticky; top: 0; }
.badge { display: inline-block; border-radius: 999px; padding: 0 8px; color: #ffffff; font-size: 12px; white-space: nowrap; }
.verdict-allow .badge, .badge.verdict-allow { background: #1a7f37; }
.badge.verdict-approval { background: #bf8700; }
.badge.verdict-deny, .badge.verdict-refused { background: #cf222e; }
tr[data-evidence="failed"] td { background: color-mix(in srgb, var(--bad) 14%, transparent); }
tr[data-evidence] td.evidence { color: var(--warn); }
tr[data-evidence="failed"] td.evidence { color: var(--bad); font-weight: 600; }
.task[data-evidence="failed"] { border-color: var(--bad); }
svg.graph g.node[data-evidence] rect { stroke: var(--warn); stroke-width: 3; stroke-dasharray: 5 3; }
svg.graph g.node[data-evidence="failed"] rect { stroke: var(--bad); }
.empty { color: var(--muted); }
`;

const SCRIPT = `
(function () {
  'use strict';
  var input = document.getElementById('filter');
  var select = document.getElementById('decision-filter');
  var shown = document.getElementById('shown');
  var table = document.getElementById('calls');
  if (!input || !select || !shown || !table) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
  var texts = rows.map(function (row) { return (row.textContent || '').toLowerCase(); });
  function apply() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var verdict = select.value;
    var count = 0;
    rows.forEach(function (row, i) {
      var match = (verdict === '' || row.getAttribute('data-verdict') === verdict) &&
        terms.every(function (term) { return texts[i].indexOf(term) !== -1; });
      row.hidden = !match;
      if (match) count++;
    });
    shown.textContent = count + ' of ' + rows.length + ' calls shown';
  }
  input.addEventListener('input', apply);
  select.addEventListener('change', apply);
  Array.prototype.forEach.call(document.querySelectorAll('svg.graph g.node.call'), function (node) {
    function pick() {
      input.value = node.getAttribute('data-call-id') || '';
      select.value = '';
      apply();
      table.scrollIntoView({ block: 'start' });
    }
    node.addEventListener('click', pick);
    node.addEventListener('keydown', function (event) { if (event.key === 'Enter') pick(); });
  });
  apply();
})();
`;

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
  `style-src ${hash(CSS)}`,
  `script-src ${hash(SCRIPT)}`,
  "img-src 'none'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const VERDICT_LABEL = { allow: 'allow', approval: 'approval', deny: 'deny', refused: 'refused' } as const;

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

function principal(p: { id: string; assurance: string } | null): string {
  return p === null ? 'autonomous (no requester)' : `${p.id} (${p.assurance})`;
}

function renderTask(task: TaskNode): string {
  const agent = task.chain.at(-1);
  const end = task.end
    ? `${task.end.status}${task.end.errorCode ? ` (${task.end.errorCode})` : ''}`
    : 'not recorded';
  const rows: [string, string][] = [
    ['requester', principal(task.requester)],
    ['agent', agent === undefined ? '(none)' : `${agent.name ?? agent.id} <${agent.id}>`],
    ['correlation', task.correlationId],
    ['scope', task.scope.join(', ') || '(none)'],
    [
      'status',
      task.status === 'refused'
        ? `refused ${task.refusal?.code ?? ''}: ${task.refusal?.message ?? ''}`
        : task.status,
    ],
    ['ended', end],
  ];
  const note = evidenceNote(task.evidence, task.records);
  if (note !== undefined) rows.push(['evidence', note]);
  const evidence =
    task.evidence === undefined || task.evidence === 'verified' ? '' : ` data-evidence="${task.evidence}"`;
  return (
    `<article class="task" data-task-id="${escapeHtml(task.taskId)}"${evidence}>` +
    `<h2>Task <code>${escapeHtml(task.taskId)}</code>${task.intent ? ` — ${escapeHtml(task.intent)}` : ''}</h2>` +
    `<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>` +
    `<div class="graph-wrap">${renderTaskGraph(task)}</div></article>`
  );
}

function renderRow(row: ReportCall): string {
  const { call, task, verdict } = row;
  const d = call.decision;
  const chain = task.chain.map((p) => p.name ?? p.id).join(' → ');
  const approval = call.approval
    ? `${call.approval.approved ? 'granted' : 'refused'} by ${call.approval.approver?.id ?? 'nobody'}`
    : '';
  const outcome = call.outcome
    ? `${call.outcome.status}${call.outcome.errorCode ? ` ${call.outcome.errorCode}` : ''} · ${call.outcome.durationMs} ms`
    : call.refusal
      ? `refused ${call.refusal.code}`
      : '';
  const cells = [
    `<td class="mono">${call.index}</td>`,
    `<td class="mono id">${escapeHtml(row.rootTaskId)}${task.taskId === row.rootTaskId ? '' : `<br>↳ ${escapeHtml(task.taskId)}`}</td>`,
    `<td>${escapeHtml(principal(task.requester))}</td>`,
    `<td>${escapeHtml(chain)}</td>`,
    `<td>${escapeHtml(call.tool)}</td>`,
    `<td class="mono id">${escapeHtml(call.callId)}</td>`,
    `<td><span class="badge verdict-${verdict}">${VERDICT_LABEL[verdict]}</span></td>`,
    `<td class="mono">${escapeHtml(d.policyIds.join(', '))}</td>`,
    `<td>${escapeHtml([...d.reasons, ...(call.refusal ? [`${call.refusal.code}: ${call.refusal.message}`] : [])].join('; '))}</td>`,
    `<td>${escapeHtml(approval)}</td>`,
    `<td class="mono id">${escapeHtml(call.credential ? `${call.credential.jti}${call.credential.audience ? ` → ${call.credential.audience}` : ''}` : '')}</td>`,
    `<td>${escapeHtml(outcome)}</td>`,
    `<td class="evidence">${escapeHtml(evidenceNote(call.evidence, call.records) ?? 'verified')}</td>`,
  ];
  const evidence =
    call.evidence === undefined || call.evidence === 'verified' ? '' : ` data-evidence="${call.evidence}"`;
  return `<tr data-verdict="${verdict}" data-call-id="${escapeHtml(call.callId)}"${evidence}>${cells.join('')}</tr>`;
}

/**
 * Renders a {@link ReportModel} as one self-contained HTML page: the verification verdict at the top
 * (what its state proves and cannot rule out), per task an inline-SVG authority-chain graph (requester →
 * agents → calls, coloured allow green, approval amber, deny / refused red) and a table of every call
 * with a text filter and a decision filter (plain inline JavaScript). Calls and tasks built from records
 * that are not all verified are marked (`data-evidence`, outlined, and said in their evidence cell). No external URL is referenced; a CSP meta tag (`default-src 'none'`) forbids
 * every load and pins the inline style and script by hash. Everything from the log is HTML-escaped.
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
    ? model.tasks.map(renderTask).join('')
    : '<p class="empty">The log holds no tasks.</p>';
  const options = ['allow', 'approval', 'deny', 'refused']
    .map((v) => `<option value="${v}">${v}</option>`)
    .join('');
  const head = [
    'record',
    'task',
    'requester',
    'agents',
    'tool',
    'call',
    'decision',
    'policies',
    'reasons',
    'approval',
    'credential',
    'outcome',
    'evidence',
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="writ report">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
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
<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>
<tbody>${rows.map(renderRow).join('\n')}</tbody>
</table></div>
</section>
</main>
<footer><p class="meta">Rendered by writ report. Verify the log yourself with <code>writ verify &lt;log-dir&gt; --key &lt;verifier-key&gt; --checkpoint &lt;a checkpoint kept elsewhere&gt;</code>.</p></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

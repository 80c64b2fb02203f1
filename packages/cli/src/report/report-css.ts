/**
 * The report's only style sheet (inline, pinned by hash in its CSP). The calls table has a fixed layout
 * whose cells wrap (ids shrink with their middle elided, see `idHtml`), so at 1280 px and wider every
 * call's decision, policies, approval, credential and outcome are on screen without scrolling sideways;
 * a graph wider than its box shrinks to fit down to 960 px wide, then scrolls sideways in its box;
 * printed, the filters are left out, graphs scale to the page, ids are printed whole and colours kept.
 * Log text is isolated for bidi (`unicode-bidi: isolate`), on top of the markers `escapeHtml` puts in
 * place of bidi controls.
 *
 * @example
 * ```ts
 * const html = `<style>${REPORT_CSS}</style>`;
 * ```
 */
export const REPORT_CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 16px 24px; }
h1 { font-size: 22px; margin: 8px 0; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 20px 0 8px; overflow-wrap: anywhere; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; unicode-bidi: isolate; }
.meta { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
.sub { color: var(--muted); font-size: 12px; }
.verification { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 8px; padding: 12px 16px; background: var(--panel); overflow-wrap: anywhere; }
.verification.ok { border-left-color: var(--ok); }
.verification.failed { border-left-color: var(--bad); }
.verification.unanchored, .verification.unpinned { border-left-color: var(--warn); }
.verification h2 { margin: 0 0 6px; }
.verification.ok h2 { color: var(--ok); }
.verification.failed h2 { color: var(--bad); }
.verification.unanchored h2, .verification.unpinned h2 { color: var(--warn); }
.task dd .warn { color: var(--warn); }
.verification ul.unreadable { color: var(--bad); }
.verification ul { margin: 6px 0 0; padding-left: 20px; color: var(--warn); }
.summary { display: flex; gap: 16px; flex-wrap: wrap; margin: 12px 0 0; padding: 0; list-style: none; }
.summary li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; }
.task { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
.task h2 { margin: 12px 0 2px; }
.task h2 .intent { unicode-bidi: isolate; }
.task h2 .intent.none { color: var(--muted); font-weight: normal; font-style: italic; }
.task dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 8px 0; }
.task dt { color: var(--muted); }
.task dd { margin: 0; min-width: 0; overflow-wrap: anywhere; unicode-bidi: isolate; }
.status { font-weight: 600; }
.status.ok { color: var(--ok); }
.status.error, .status.refused { color: var(--bad); }
.status.running { color: var(--warn); }
.agents span { unicode-bidi: isolate; }
.graph-wrap { overflow-x: auto; }
svg.graph { max-width: max(100%, 960px); height: auto; }
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
table#calls { table-layout: fixed; }
col.c-call { width: 22%; } col.c-decision { width: 17%; } col.c-policies { width: 15%; } col.c-approval { width: 17%; }
col.c-credential { width: 11%; } col.c-outcome { width: 10%; } col.c-evidence { width: 8%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--panel); position: sticky; top: 0; }
td > div + div { margin-top: 2px; }
td .ids { display: flex; column-gap: 4px; }
td .ids > span { flex: none; }
td .ids > code.id { min-width: 0; }
td .tool { font-weight: 600; unicode-bidi: isolate; }
td.policies code { display: block; }
td.approval .reason { font-style: italic; unicode-bidi: isolate; }
.assurance { font-size: 12px; border: 1px solid currentColor; border-radius: 4px; padding: 0 4px; white-space: nowrap; }
.assurance.verified { color: var(--ok); }
.assurance.claimed, .assurance.asserted { color: var(--warn); }
code.id { display: inline-flex; max-width: 100%; vertical-align: bottom; white-space: nowrap; }
code.id .id-head { overflow: hidden; text-overflow: ellipsis; min-width: 1ch; }
code.id .id-tail { flex: none; }
code.id.digest { max-width: min(100%, 22ch); }
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
#verification.logs > h2 { margin: 0 0 8px; }
#verification.logs { display: grid; gap: 10px; }
#verification.logs > .verification h2 { font-size: 15px; }
.log-name { color: var(--fg); }
.findings { border: 1px solid var(--bad); border-left: 6px solid var(--bad); border-radius: 8px; padding: 8px 16px; margin: 16px 0; overflow-wrap: anywhere; }
.findings h2 { color: var(--bad); margin: 4px 0 6px; }
.findings.none { border-color: var(--line); border-left-color: var(--ok); }
.findings.none h2 { color: var(--ok); }
.findings li { margin: 4px 0; unicode-bidi: isolate; }
.finding strong, strong.finding { color: var(--bad); }
table.links td { overflow-wrap: anywhere; }
table.links tr[data-status="unproven"] td, table.links tr[data-finding] td { background: color-mix(in srgb, var(--bad) 14%, transparent); }
table.links td.link-status strong { color: var(--bad); }
code.at { white-space: nowrap; }
.task[data-finding] { border: 2px solid var(--bad); }
tr[data-finding] td.call { box-shadow: inset 4px 0 0 var(--bad); }
svg.graph .edge.link { stroke: var(--fg); stroke-width: 2.5; }
svg.graph .edge.link.unproven { stroke: var(--bad); stroke-dasharray: 6 4; }
svg.graph text.link-label { fill: var(--muted); font-size: 10px; }
svg.graph text.link-label.unproven { fill: var(--bad); font-weight: 600; }
svg.graph g.node.finding rect { stroke: var(--bad); stroke-width: 4; }
svg.graph text.note.finding { font-weight: 700; }
@media print {
  :root { color-scheme: light; font-size: 11px; --fg: #000000; --muted: #444c56; --bg: #ffffff; --panel: #f0f2f4; --line: #b8c0c8;
    --ok: #1a7f37; --warn: #7d4e00; --bad: #b3121e; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  header, main, footer { max-width: none; padding: 0; }
  .filters { display: none; }
  .table-wrap, .graph-wrap { overflow: visible; border: 0; }
  th { position: static; }
  thead { display: table-header-group; }
  tr, .task dl { break-inside: avoid; }
  svg.graph { max-width: 100%; height: auto; }
  code.id { display: inline; white-space: normal; }
  td .ids { display: block; }
  code.id .id-head { overflow: visible; }
  code.id.digest { max-width: none; }
  th, td { padding: 4px 5px; }
  col.c-call { width: 21%; } col.c-outcome { width: 9%; } col.c-evidence { width: 10%; }
}
`;

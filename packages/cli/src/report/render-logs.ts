import type { JoinFinding, LogLink, RecordEvidence } from '@writ/audit';
import { escapeHtml } from './escape-html.js';
import { idHtml } from './id-html.js';
import type { RecordFacts, ReportLog, ReportModel, ReportVerdict } from './report-model.js';

/**
 * The parts of a report that say what each log proves and how the logs join: the verification panel
 * (one, or one per log over several logs), the links between logs and the findings.
 */

const HEADINGS = {
  anchored: '✔ Log verified and anchored',
  unanchored: '✔ Log verified, unanchored',
  unpinned: '⚠ Unpinned: the key was read from the log itself',
} as const;

const CLASSES = { anchored: 'ok', unanchored: 'unanchored', unpinned: 'unpinned' } as const;

/** How a verification panel is named and placed: one for the page, or one per log. */
interface PanelPlace {
  /** The element's attributes that place it: `id="verification"`, or the log it is about. */
  readonly attrs: string;
  /** HTML put before the heading's text (`log 2 · orders-mcp: `). */
  readonly name: string;
  /** HTML lines put after the facts (the log, the key). */
  readonly more: string;
}

/**
 * One verification panel: the state and what it proves or cannot rule out, the first bad record when it
 * fails, the records that cannot be read.
 *
 * @example
 * ```ts
 * const html = renderVerdictPanel(model.verification, model.unreadableRecords ?? []);
 * ```
 */
export function renderVerdictPanel(
  v: ReportVerdict | undefined,
  unreadableRecords: readonly { readonly index: number; readonly reason: string }[],
  place: PanelPlace = { attrs: 'id="verification"', name: '', more: '' },
): string {
  const unreadable = unreadableRecords.length
    ? `<ul class="unreadable">${unreadableRecords.map((r) => `<li>Record ${r.index} cannot be read (${escapeHtml(r.reason)}): what it held is not shown.</li>`).join('')}</ul>`
    : '';
  const { attrs, name, more } = place;
  if (v === undefined) {
    return `<section ${attrs} class="verification" data-status="unverified"><h2>${name}Not verified</h2><p>${place.name ? 'This log was read' : 'This report was rendered'} without verifying ${place.name ? 'it' : 'the log'}: nothing in it is proven.</p>${more}${unreadable}</section>`;
  }
  const anchor =
    v.anchorSize === undefined || v.anchorSize === null
      ? ''
      : ` · the given checkpoint covers ${v.anchorSize}`;
  const facts = `${v.records} records, ${v.checkpoints} checkpoint(s), ${v.sealed} sealed · key ${v.keyPinned ? 'pinned' : 'read from the log (not pinned)'}${anchor}`;
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
    return `<section ${attrs} class="verification ${CLASSES[v.state]}" data-status="${v.state}"><h2>${name}${HEADINGS[v.state]}</h2>${advice}<p>${escapeHtml(facts)}</p>${origin}${more}${unproven}${warnings}${unreadable}</section>`;
  }
  return (
    `<section ${attrs} class="verification failed" data-status="failed" data-first-bad-index="${escapeHtml(v.firstBadIndex ?? '')}">` +
    `<h2>${name}✖ Log does NOT verify</h2><p>First bad record <strong class="first-bad">${escapeHtml(v.firstBadIndex ?? '?')}</strong>: ${escapeHtml(v.reason ?? '')}</p>` +
    `<p>${escapeHtml(facts)}</p>${origin}${more}${warnings}${unreadable}<p class="meta">Records from ${escapeHtml(v.firstBadIndex ?? 0)} on are read as they stand and marked: treat them as untrusted.</p></section>`
  );
}

/** The short name of a log on the page (`log 2`), or its label when it is not one of the model's. */
export function logTag(model: Pick<ReportModel, 'logs'>, log: string | undefined): string {
  return model.logs?.find((l) => l.log === log)?.tag ?? log ?? '';
}

/** One log's panel over several logs: its tag and services in the heading, its label and key below. */
function logPanel(l: ReportLog): string {
  const services = l.services.length ? l.services.join(', ') : 'no records';
  const key = l.verifierKey === undefined ? 'none pinned' : l.verifierKey;
  return renderVerdictPanel(l.verification, l.unreadableRecords, {
    attrs: `data-log="${escapeHtml(l.log)}" data-tag="${escapeHtml(l.tag)}"`,
    name: `<span class="log-name">${escapeHtml(l.tag)} · ${escapeHtml(services)}:</span> `,
    more: `<p class="meta">log <code>${escapeHtml(l.log)}</code> · key used <code>${escapeHtml(key)}</code></p>`,
  });
}

/**
 * The verification panels of a report over several logs: one per log (`section.verification` with
 * `data-log`, `data-tag`, `data-status` and, failed, `data-first-bad-index`), naming its services, its
 * label and the key it was verified with.
 *
 * @example
 * ```ts
 * const html = renderLogPanels(model);
 * ```
 */
export function renderLogPanels(model: ReportModel): string {
  const logs = model.logs ?? [];
  const counts = new Map<string, number>();
  for (const l of logs) {
    const state = l.verification?.state ?? 'not verified';
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const said = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return (
    `<section id="verification" class="logs" aria-label="verification of each log"><h2>${logs.length} logs: ${escapeHtml(said)}</h2>` +
    `${logs.map(logPanel).join('')}</section>`
  );
}

/** Whether both ends of a link are verified. */
export function linkProven(link: LogLink): boolean {
  return link.caller.evidence === 'verified' && link.callee.evidence === 'verified';
}

/** Why a link is not proven, in words: which end, and what its evidence is. */
export function linkDoubt(link: LogLink): string | undefined {
  const doubt = (end: string, e: RecordEvidence | undefined) =>
    e === 'verified' ? [] : [`${end} ${e === 'failed' ? 'does not verify' : (e ?? 'unverified')}`];
  const ends = [
    ...doubt("caller's record", link.caller.evidence),
    ...doubt("callee's record", link.callee.evidence),
  ];
  return ends.length ? `✖ not proven: ${ends.join(', ')}` : undefined;
}

/** A link's two ends as text: `log 1 record 12 → log 2 record 3`. */
export function linkEnds(model: Pick<ReportModel, 'logs'>, link: LogLink): string {
  return `${logTag(model, link.caller.log)} record ${link.caller.index} → ${logTag(model, link.callee.log)} record ${link.callee.index}`;
}

/** What the callee recorded of the credential it was presented, field by field, when present (escaped). */
export function inboundHtml(
  inbound: RecordFacts['inbound'],
  show: { issuer: boolean } = { issuer: true },
): string {
  if (inbound === undefined) return '';
  const rows: string[] = show.issuer ? [`issuer ${escapeHtml(inbound.issuer)}`] : [];
  if (Number.isFinite(inbound.expiresAt))
    rows.push(`expires ${escapeHtml(new Date(inbound.expiresAt).toISOString())}`);
  for (const key of ['audience', 'intentDigest', 'requester', 'callerLog', 'callerSpanId'] as const) {
    const value = inbound[key];
    if (value === undefined || value === null) continue;
    rows.push(`${key} ${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}`);
  }
  return rows.map((r) => `<div class="sub">${r}</div>`).join('');
}

/**
 * The links between the logs of a report over several logs, as a table: each caller's call (service,
 * log and record, tool, call id) and the callee's task-start that presented its credential (service,
 * log and record, task, what it recorded of the credential), the credential, and whether both ends are
 * proven (`tr.link[data-status="proven"|"unproven"]`, said in words); a link whose two sides disagree
 * (a finding at either end) says which (`data-finding`, `✖ intent-mismatch`).
 *
 * @example
 * ```ts
 * const html = renderLinks(model);
 * ```
 */
export function renderLinks(model: ReportModel): string {
  const links = model.links ?? [];
  if (links.length === 0)
    return '<section id="links" aria-label="links between logs"><h2>Links between logs</h2><p class="empty">No call in these logs continued in another of them.</p></section>';
  const facts = (log: string) => model.logs?.find((l) => l.log === log)?.recordFacts;
  const by = findingsByRecord(model.findings);
  const rows = links.map((link) => {
    const doubt = linkDoubt(link);
    const found = linkFindings(by, link);
    const mismatch = found.length ? ` data-finding="${escapeHtml(found.map((f) => f.kind).join(' '))}"` : '';
    const findings = found
      .map((f) => `<div class="finding"><strong>✖ ${escapeHtml(f.kind)}</strong></div>`)
      .join('');
    const inbound = facts(link.callee.log)?.get(link.callee.index)?.inbound;
    const at = (log: string, index: number) =>
      `<code class="at">${escapeHtml(logTag(model, log))} record ${index}</code>`;
    return (
      `<tr class="link" data-status="${doubt === undefined ? 'proven' : 'unproven'}" data-caller-log="${escapeHtml(link.caller.log)}" data-caller-index="${link.caller.index}" data-callee-log="${escapeHtml(link.callee.log)}" data-callee-index="${link.callee.index}"${mismatch}>` +
      `<td class="caller"><div>${escapeHtml(link.caller.service)} ${at(link.caller.log, link.caller.index)}</div><div class="sub"><span class="tool">${escapeHtml(link.caller.tool)}</span> #${escapeHtml(link.caller.callId)}</div></td>` +
      `<td class="callee"><div>${escapeHtml(link.callee.service)} ${at(link.callee.log, link.callee.index)}</div><div class="sub ids"><span>task</span> ${idHtml(link.taskId)}</div>${inboundHtml(inbound)}</td>` +
      `<td class="credential"><div>${idHtml(link.jti)}</div>${link.audience ? `<div class="sub">→ ${escapeHtml(link.audience)}</div>` : ''}</td>` +
      `<td class="link-status">${doubt === undefined ? '✔ both ends verified' : `<strong>${escapeHtml(doubt)}</strong>`}${findings}</td></tr>`
    );
  });
  return (
    `<section id="links" aria-label="links between logs"><h2>Links between logs (${links.length})</h2>` +
    '<div class="table-wrap"><table class="links"><thead><tr><th scope="col">caller’s call</th><th scope="col">callee’s task</th><th scope="col">credential</th><th scope="col">proven</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

/** The findings at either end of a link (the two sides disagree: requester, intent). */
export function linkFindings(by: ReadonlyMap<string, readonly JoinFinding[]>, link: LogLink): JoinFinding[] {
  return [
    ...(by.get(recordKey(link.caller.log, link.caller.index)) ?? []),
    ...(by.get(recordKey(link.callee.log, link.callee.index)) ?? []),
  ];
}

/** The findings by the (log, record) they are at. */
export function findingsByRecord(
  findings: readonly JoinFinding[] | undefined,
): ReadonlyMap<string, readonly JoinFinding[]> {
  const by = new Map<string, JoinFinding[]>();
  for (const f of findings ?? []) {
    const key = recordKey(f.log, f.index);
    by.set(key, [...(by.get(key) ?? []), f]);
  }
  return by;
}

/** The key of a record of a log in {@link findingsByRecord}. */
export const recordKey = (log: string | undefined, index: number): string => `${log ?? ''}\u0000${index}`;

/**
 * The findings of a report over several logs: each (`li.finding` with `data-kind`, `data-log`,
 * `data-index`) says what it is, at which log and record, and why.
 *
 * @example
 * ```ts
 * const html = renderFindings(model);
 * ```
 */
export function renderFindings(model: ReportModel): string {
  const findings = model.findings ?? [];
  if (findings.length === 0)
    return '<section id="findings" class="findings none" aria-label="findings"><h2>No findings</h2><p>Every task that says it continued a caller’s call joins that call.</p></section>';
  const items = findings.map(
    (f) =>
      `<li class="finding" data-kind="${escapeHtml(f.kind)}" data-log="${escapeHtml(f.log)}" data-index="${f.index}">` +
      `<strong>✖ ${escapeHtml(f.kind)}</strong> at <code class="at">${escapeHtml(logTag(model, f.log))} record ${f.index}</code>: ${escapeHtml(f.message)}</li>`,
  );
  return `<section id="findings" class="findings" aria-label="findings"><h2>✖ Findings (${findings.length}): what does not join</h2><ol>${items.join('')}</ol></section>`;
}

/**
 * What the task boxes, graphs and call rows of a report over several logs need to say where each thing
 * comes from and what does not join: each log's tag, the findings by record, and the link that
 * continued each callee task-start (by its record).
 *
 * @example
 * ```ts
 * const join = joinView(model); // undefined with one log
 * const html = renderTask(task, factsOf(model, task.log), join);
 * ```
 */
export interface JoinView {
  readonly tagOf: (log: string | undefined) => string;
  readonly findings: ReadonlyMap<string, readonly JoinFinding[]>;
  /** The link that joined a callee's task-start, by `recordKey(callee log, index)`. */
  readonly calleeLinks: ReadonlyMap<string, LogLink>;
}

/**
 * The {@link JoinView} of a model over several logs; `undefined` for one log.
 *
 * @example
 * ```ts
 * const join = joinView(model);
 * ```
 */
export function joinView(model: ReportModel): JoinView | undefined {
  if (model.logs === undefined) return undefined;
  return {
    tagOf: (log) => logTag(model, log),
    findings: findingsByRecord(model.findings),
    calleeLinks: new Map((model.links ?? []).map((l) => [recordKey(l.callee.log, l.callee.index), l])),
  };
}

/** The findings at any of `records` of `log`. */
export function findingsAt(
  join: JoinView | undefined,
  log: string | undefined,
  records: readonly { readonly index: number }[],
): JoinFinding[] {
  if (join === undefined) return [];
  return records.flatMap((r) => join.findings.get(recordKey(log, r.index)) ?? []);
}

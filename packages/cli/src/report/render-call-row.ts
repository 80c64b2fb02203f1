import type { CallNode } from '@writ/audit';
import { escapeHtml } from './escape-html.js';
import { evidenceNote } from './evidence-note.js';
import { idHtml } from './id-html.js';
import { agentName, principalText } from './principal-text.js';
import { findingsAt, type JoinView } from './render-logs.js';
import type { RecordFacts, ReportCall } from './report-model.js';

/**
 * The columns of the calls table, in order: their class (on the `<col>` and every cell) and heading.
 *
 * @example
 * ```ts
 * const head = CALL_COLUMNS.map((c) => `<th class="${c.key}">${c.heading}</th>`).join('');
 * ```
 */
export const CALL_COLUMNS = [
  { key: 'call', heading: 'call' },
  { key: 'decision', heading: 'decision' },
  { key: 'policies', heading: 'policies' },
  { key: 'approval', heading: 'approval' },
  { key: 'credential', heading: 'credential' },
  { key: 'outcome', heading: 'outcome' },
  { key: 'evidence', heading: 'evidence' },
] as const;

type Facts = ReadonlyMap<number, RecordFacts> | undefined;

const div = (html: string, cls?: string) => `<div${cls === undefined ? '' : ` class="${cls}"`}>${html}</div>`;
const sub = (text: string) => div(escapeHtml(text), 'sub');

/** The call: tool, call id, record and time, task (and delegation), requester and agents. */
function callCell(row: ReportCall, facts: Facts, join: JoinView | undefined): string {
  const { call, task } = row;
  const where =
    join === undefined ? '' : sub(`${task.service ?? 'unknown service'} · ${join.tagOf(task.log)}`);
  const findings = findingsAt(join, task.log, call.records)
    .map((f) => div(`<strong>✖ finding ${escapeHtml(f.kind)}</strong>: ${escapeHtml(f.message)}`, 'finding'))
    .join('');
  const time = facts?.get(call.index)?.time;
  const delegated = task.taskId === row.rootTaskId ? '' : `<span>↳ delegation</span> ${idHtml(task.taskId)}`;
  return (
    div(`<span class="tool">${escapeHtml(call.tool)}</span>`) +
    div(`<span>call</span> ${idHtml(call.callId)}`, 'sub ids') +
    sub(`record ${call.index}${time === undefined ? '' : ` · ${time}`}`) +
    div(`<span>task</span> ${idHtml(row.rootTaskId)}${delegated ? ` ${delegated}` : ''}`, 'sub ids') +
    sub(`for ${principalText(task.requester)}`) +
    sub(`by ${task.chain.map(agentName).join(' → ') || '(no agent)'}`) +
    where +
    findings
  );
}

/** The decision: its verdict badge, the engine, the reasons, and any pipeline refusal or scope drift. */
function decisionCell(row: ReportCall): string {
  const { call, verdict } = row;
  const d = call.decision;
  return (
    div(
      `<span class="badge verdict-${verdict}">${verdict}</span> <span class="sub">${escapeHtml(d.effect)} by ${escapeHtml(d.engine)}</span>`,
    ) +
    (d.reasons.length ? div(escapeHtml(d.reasons.join('; ')), 'reasons') : '') +
    (call.refusal ? sub(`refused ${call.refusal.code}: ${call.refusal.message}`) : '') +
    (call.scopeDrift
      ? sub(`scope drift: ${call.scopeDrift.permission} outside [${call.scopeDrift.scope.join(', ')}]`)
      : '')
  );
}

function policiesCell(call: CallNode): string {
  return call.decision.policyIds.length
    ? call.decision.policyIds.map((id) => `<code>${escapeHtml(id)}</code>`).join('')
    : sub('no policy named');
}

/** The approval: granted or refused, by whom and how sure, when, why, and the binding it answered. */
function approvalCell(call: CallNode, facts: Facts): string {
  const a = call.approval;
  if (a === undefined) {
    return sub(
      call.decision.effect === 'approval_required' ? 'required, no answer recorded' : 'not required',
    );
  }
  const record = call.records.find((r) => r.kind === 'approval')?.index ?? call.index;
  const time = facts?.get(record)?.time;
  const approver =
    a.approver === null
      ? 'an unnamed approver'
      : `${escapeHtml(a.approver.id)} <span class="assurance ${escapeHtml(a.approver.assurance)}">${escapeHtml(a.approver.assurance)}</span>`;
  return (
    div(`<strong>${a.approved ? 'granted' : 'refused'}</strong> by ${approver}`) +
    (time === undefined ? '' : sub(`at ${time}`)) +
    (a.reason ? div(`“${escapeHtml(a.reason)}”`, 'reason') : sub('no reason given')) +
    div(`binding ${idHtml(a.bindingHash, 'digest')}`, 'sub')
  );
}

function credentialCell(call: CallNode): string {
  const c = call.credential;
  if (c === undefined) return sub('none');
  return div(idHtml(c.jti)) + (c.audience ? sub(`→ ${c.audience}`) : '');
}

/** The callee's decision receipt an outcome recorded (`{ log, index, leafHash }`), when present. */
function receiptHtml(call: CallNode, facts: Facts): string {
  const at = call.records.find((r) => r.kind === 'outcome')?.index;
  const receipt = at === undefined ? undefined : facts?.get(at)?.receipt;
  if (receipt === undefined) return '';
  const text = (v: unknown) =>
    typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  const log = receipt.log ?? receipt.origin;
  return div(
    `receipt ${escapeHtml(text(log ?? '?'))} #${escapeHtml(text(receipt.index ?? '?'))}${receipt.leafHash === undefined ? '' : ` ${idHtml(text(receipt.leafHash), 'digest')}`}`,
    'sub receipt',
  );
}

function outcomeCell(call: CallNode, facts: Facts): string {
  const o = call.outcome;
  if (o !== undefined) {
    return (
      div(escapeHtml(`${o.status}${o.errorCode ? ` ${o.errorCode}` : ''}`)) +
      sub(`${o.durationMs} ms`) +
      receiptHtml(call, facts)
    );
  }
  return call.refusal ? div(escapeHtml(`refused ${call.refusal.code}`)) : sub('not recorded');
}

/**
 * One row of the calls table (see {@link CALL_COLUMNS}): `<tr data-verdict data-call-id>`, with
 * `data-evidence` when its records are not all verified; the callee's receipt its outcome recorded, when
 * there is one. Over several logs (`join`): `data-log`, the service and log in the call cell, and each
 * finding at its records said there (`data-finding`). Every string from the log is escaped.
 *
 * @example
 * ```ts
 * const tbody = reportCalls(model.tasks).map((row) => renderCallRow(row, model.recordFacts)).join('\n');
 * ```
 */
export function renderCallRow(
  row: ReportCall,
  facts?: ReadonlyMap<number, RecordFacts>,
  join?: JoinView,
): string {
  const { call, verdict } = row;
  const cells = [
    `<td class="call">${callCell(row, facts, join)}</td>`,
    `<td class="decision">${decisionCell(row)}</td>`,
    `<td class="policies">${policiesCell(call)}</td>`,
    `<td class="approval">${approvalCell(call, facts)}</td>`,
    `<td class="credential">${credentialCell(call)}</td>`,
    `<td class="outcome">${outcomeCell(call, facts)}</td>`,
    `<td class="evidence">${escapeHtml(evidenceNote(call.evidence, call.records) ?? 'verified')}</td>`,
  ];
  const evidence =
    call.evidence === undefined || call.evidence === 'verified' ? '' : ` data-evidence="${call.evidence}"`;
  const log = join === undefined ? '' : ` data-log="${escapeHtml(row.task.log ?? '')}"`;
  const kinds = findingsAt(join, row.task.log, call.records).map((f) => f.kind);
  const finding = kinds.length ? ` data-finding="${escapeHtml(kinds.join(' '))}"` : '';
  return `<tr data-verdict="${verdict}" data-call-id="${escapeHtml(call.callId)}"${log}${evidence}${finding}>${cells.join('')}</tr>`;
}

import type { TaskNode } from '@writ/audit';
import { inboundText } from '@writ/audit/internal';
import { escapeHtml } from './escape-html.js';
import { evidenceNote } from './evidence-note.js';
import { idHtml } from './id-html.js';
import { agentName, principalText } from './principal-text.js';
import { findingsAt, type JoinView } from './render-logs.js';
import type { RecordFacts } from './report-model.js';
import { renderTaskGraph } from './task-graph.js';

/**
 * The one state of a task: `refused <code>: <message>` (it never started), `ended ok`, `ended error
 * (<code>)`, or `running (no task-end)` when the log holds no end for it (still running, or it crashed).
 * `kind` is the class the report colours it by.
 *
 * @example
 * ```ts
 * taskState(task); // { kind: 'ok', text: 'ended ok' }
 * ```
 */
export function taskState(task: TaskNode): {
  readonly kind: 'ok' | 'error' | 'refused' | 'running';
  readonly text: string;
} {
  if (task.status === 'refused') {
    return { kind: 'refused', text: `refused ${task.refusal?.code ?? ''}: ${task.refusal?.message ?? ''}` };
  }
  if (task.end === undefined) return { kind: 'running', text: 'running (no task-end)' };
  if (task.end.status === 'ok') return { kind: 'ok', text: 'ended ok' };
  return { kind: 'error', text: `ended error${task.end.errorCode ? ` (${task.end.errorCode})` : ''}` };
}

const row = (term: string, html: string) => `<dt>${term}</dt><dd>${html}</dd>`;

/**
 * One task's box: its intent as the heading, its one state ({@link taskState}), who asked, the whole
 * agent chain (upstream agents of a continued task first), where a continued task came from (and what it
 * recorded of the caller's credential), its service and times, then its authority-chain graph. Over
 * several logs (`join`), also its log, and first each finding at one of its records (`data-finding`,
 * said in words). Every string from the log is escaped.
 *
 * @example
 * ```ts
 * const html = model.tasks.map((task) => renderTask(task, model.recordFacts)).join('');
 * ```
 */
export function renderTask(
  task: TaskNode,
  facts?: ReadonlyMap<number, RecordFacts>,
  join?: JoinView,
): string {
  const state = taskState(task);
  const start = task.records.find((r) => r.kind === 'task-start');
  const end = task.records.find((r) => r.kind === 'task-end');
  const started = start === undefined ? undefined : facts?.get(start.index);
  const ended = end === undefined ? undefined : facts?.get(end.index);
  const intent = task.intent
    ? `<span class="intent">${escapeHtml(task.intent)}</span>`
    : '<span class="intent none">no intent recorded</span>';
  const agents = task.chain
    .map((p) => `<span title="${escapeHtml(`${p.id} (${p.assurance})`)}">${escapeHtml(agentName(p))}</span>`)
    .join(' → ');
  const rows = [
    row('status', `<span class="status ${state.kind}">${escapeHtml(state.text)}</span>`),
    row('requester', escapeHtml(principalText(task.requester))),
    row('agents', `<span class="agents">${agents || '(none)'}</span>`),
  ];
  const inbound = task.inbound ?? (started?.inbound === undefined ? [] : [started.inbound]);
  for (const credential of inbound) {
    rows.push(
      row(
        'continues',
        `a caller's task: its credential ${idHtml(credential.jti)} issued by ${escapeHtml(credential.issuer)}${task.parentTaskId ? `, parent task ${idHtml(task.parentTaskId)}` : ''}`,
      ),
    );
    // the credential (audience, expiry), what the caller's token carried, and what it did not
    const { lines, missing } = inboundText(credential);
    rows.push(row('inbound', escapeHtml(lines.join(' · '))));
    if (missing !== undefined)
      rows.push(row('not carried', `<span class="warn">${escapeHtml(missing)}</span>`));
  }
  const findings = findingsAt(join, task.log, task.records);
  if (join !== undefined) {
    rows.unshift(
      row(
        'log',
        escapeHtml(`${join.tagOf(task.log)} · ${task.service ?? 'unknown service'} · ${task.log ?? ''}`),
      ),
    );
    for (const f of findings)
      rows.unshift(
        row(
          '<strong class="finding">finding</strong>',
          `<span class="finding"><strong>✖ ${escapeHtml(f.kind)}</strong> at ${escapeHtml(join.tagOf(f.log))} record ${f.index}: ${escapeHtml(f.message)}</span>`,
        ),
      );
  }
  if (started !== undefined) {
    rows.push(
      row(
        'service',
        escapeHtml(`${started.service} · started ${started.time}${ended ? ` · ended ${ended.time}` : ''}`),
      ),
    );
  }
  rows.push(
    row('task', idHtml(task.taskId)),
    row('correlation', idHtml(task.correlationId)),
    row('scope', escapeHtml(task.scope.join(', ') || '(none)')),
  );
  const note = evidenceNote(task.evidence, task.records);
  if (note !== undefined) rows.push(row('evidence', escapeHtml(note)));
  const evidence =
    task.evidence === undefined || task.evidence === 'verified' ? '' : ` data-evidence="${task.evidence}"`;
  const finding = findings.length
    ? ` data-finding="${escapeHtml(findings.map((f) => f.kind).join(' '))}"`
    : '';
  const log = join === undefined ? '' : ` data-log="${escapeHtml(task.log ?? '')}"`;
  return (
    `<article class="task" data-task-id="${escapeHtml(task.taskId)}"${log}${evidence}${finding}>` +
    `<h2>${intent}</h2>` +
    `<dl>${rows.join('')}</dl>` +
    `<div class="graph-wrap">${renderTaskGraph(task, join)}</div></article>`
  );
}

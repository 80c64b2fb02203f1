import type { CallNode, RecordEvidence, TaskNode } from '@writ/audit';
import type { PrincipalRef } from '@writ/core/plugin';
import { escapeHtml, showBidiControls } from './escape-html.js';
import { evidenceNote } from './evidence-note.js';
import { agentName } from './principal-text.js';
import { findingsAt, type JoinView, linkDoubt, linkFindings, recordKey } from './render-logs.js';
import { type Verdict, verdictOf } from './report-model.js';

/**
 * Fill colours of the graph's nodes (SVG `fill`), by kind and by call verdict.
 *
 * @example
 * ```ts
 * GRAPH_COLORS.deny; // '#cf222e'
 * ```
 */
export const GRAPH_COLORS = Object.freeze({
  /** @default '#0969da' */
  requester: '#0969da',
  /** @default '#8250df' */
  agent: '#8250df',
  /** An agent upstream of the one that acted (a continued task's caller agents). @default '#5a32a3' */
  upstream: '#5a32a3',
  /** Allowed call. @default '#1a7f37' */
  allow: '#1a7f37',
  /** Call that needed (and got) a human approval. @default '#bf8700' */
  approval: '#bf8700',
  /** Call denied by policy. @default '#cf222e' */
  deny: '#cf222e',
  /** Call refused by the pipeline (approval refused, identity, scope). @default '#cf222e' */
  refused: '#cf222e',
} satisfies Record<'requester' | 'agent' | 'upstream' | Verdict, string>);

interface GraphNode {
  readonly kind: 'requester' | 'agent' | 'upstream' | 'call';
  readonly label: string;
  readonly sub: string;
  /** Over several logs, a third line: the findings at its records, else where it is or who it is. */
  readonly note?: string;
  readonly title: string;
  readonly fill: string;
  readonly verdict?: Verdict;
  readonly callId?: string;
  readonly taskId?: string;
  readonly evidence?: RecordEvidence | undefined;
  /** Over several logs: the log that holds its records. */
  readonly log?: string;
  /** Over several logs: the kinds of the findings at its records. */
  readonly findings?: readonly string[];
  /** A callee task's node: the link from the caller's call, in words; `proven` when both ends are and they agree. */
  readonly link?: { readonly text: string; readonly proven: boolean };
  readonly children: GraphNode[];
  x: number;
  y: number;
}

const LAYOUT_ONE = { col: 228, row: 58, width: 196, height: 42, pad: 14, label: 14 } as const;
/** Over several logs: nodes of three lines (the third says where, or the findings), a link label under. */
const JOINED_LAYOUT = { ...LAYOUT_ONE, row: 78, height: 56, label: 18 } as const;

const who = (p: PrincipalRef | null | undefined): string =>
  p === null || p === undefined ? 'autonomous' : agentName(p);

/** A long id with its middle elided: `call_9V…YhN1c`; the whole id is in the node's tooltip. */
function shortId(id: string): string {
  const chars = [...id];
  return chars.length <= 16 ? id : `${chars.slice(0, 7).join('')}…${chars.slice(-6).join('')}`;
}

function clip(raw: string, max: number): string {
  const text = showBidiControls(raw);
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** What a node says of the findings at its records: their kinds, and title lines. */
function findingMarks(
  join: JoinView | undefined,
  log: string | undefined,
  records: readonly { index: number }[],
) {
  const found = findingsAt(join, log, records);
  return {
    kinds: found.map((f) => f.kind),
    lines: found.map((f) => `✖ finding ${f.kind}: ${f.message}`),
  };
}

/** Where a node's records are, over several logs: `service · log 2`, and a title line naming the log. */
function whereOf(join: JoinView | undefined, task: TaskNode) {
  if (join === undefined) return undefined;
  const tag = join.tagOf(task.log);
  return {
    sub: `${task.service ?? '?'} · ${tag}`,
    line: `${task.service ?? 'unknown service'} · ${tag} (${task.log ?? ''})`,
  };
}

function callNode(call: CallNode, task: TaskNode, join: JoinView | undefined): GraphNode {
  const verdict = verdictOf(call);
  const marks = findingMarks(join, task.log, call.records);
  const where = whereOf(join, task);
  const d = call.decision;
  const lines = [
    `${call.tool} #${call.callId} [record ${call.index}]`,
    `decision ${d.effect} by ${d.engine}${d.policyIds.length ? ` (${d.policyIds.join(', ')})` : ''}`,
    ...(d.reasons.length ? [`reasons: ${d.reasons.join('; ')}`] : []),
    ...(call.approval
      ? [
          `approval ${call.approval.approved ? 'granted' : 'refused'} by ${call.approval.approver === null ? 'an unnamed approver' : `${call.approval.approver.id} (${call.approval.approver.assurance})`}${call.approval.reason ? `: ${call.approval.reason}` : ''}`,
        ]
      : []),
    ...(call.refusal ? [`refused ${call.refusal.code}: ${call.refusal.message}`] : []),
    ...(call.outcome ? [`outcome ${call.outcome.status} in ${call.outcome.durationMs} ms`] : []),
    ...[evidenceNote(call.evidence, call.records)].filter((note) => note !== undefined),
    ...(where === undefined ? [] : [where.line]),
    ...marks.lines,
  ];
  return {
    kind: 'call',
    label: `${marks.kinds.length ? '✖ ' : ''}${call.tool}`,
    sub: `${verdict} · #${shortId(call.callId)}`,
    ...(where === undefined
      ? {}
      : { note: marks.kinds.length ? `✖ finding: ${marks.kinds.join(', ')}` : where.sub }),
    title: lines.join('\n'),
    fill: GRAPH_COLORS[verdict],
    verdict,
    callId: call.callId,
    evidence: call.evidence,
    findings: marks.kinds,
    ...(join === undefined ? {} : { log: task.log ?? '' }),
    children: (call.callees ?? []).map((callee) => taskNodes(callee, task.chain, join, 'callee')),
    x: 0,
    y: 0,
  };
}

/**
 * An agent of the chain upstream of the one that acted in a task: the caller's agents of a task
 * continued from another service, or the agents between a delegation and its parent's actor.
 */
function upstreamNode(p: PrincipalRef, task: TaskNode, child: GraphNode): GraphNode {
  const domain = /^spiffe:\/\/([^/]+)/.exec(p.id)?.[1];
  return {
    kind: 'upstream',
    label: who(p),
    sub: `upstream${domain ? ` · ${domain}` : ''}`,
    title: [
      `upstream agent ${p.id} (${p.assurance})`,
      ...(p.issuer ? [`issuer ${p.issuer}`] : []),
      `in the chain of task ${task.taskId}`,
    ].join('\n'),
    fill: GRAPH_COLORS.upstream,
    taskId: task.taskId,
    children: [child],
    x: 0,
    y: 0,
  };
}

/**
 * The nodes of a task: the agents of its chain that the enclosing node does not show yet (all but the
 * actor for a root task: a continued task's caller agents), then its actor with its calls and delegations.
 */
function taskNodes(
  task: TaskNode,
  parentChain: readonly PrincipalRef[] | undefined,
  join: JoinView | undefined,
  via: 'root' | 'delegation' | 'callee',
): GraphNode {
  const chain = task.chain;
  let shown = 0;
  if (parentChain !== undefined) {
    while (
      shown < parentChain.length &&
      shown < chain.length - 1 &&
      chain[shown]?.id === parentChain[shown]?.id
    )
      shown++;
  }
  const upstream = chain.slice(shown, -1);
  return upstream.reduceRight<GraphNode>(
    (child, p) => upstreamNode(p, task, child),
    agentNode(task, via, join),
  );
}

const VIA = {
  root: { mark: '', name: 'task' },
  delegation: { mark: '↳ ', name: 'delegation' },
  callee: { mark: '⇢ ', name: 'continued task' },
} as const;

function agentNode(
  task: TaskNode,
  via: 'root' | 'delegation' | 'callee',
  join: JoinView | undefined,
): GraphNode {
  const agent = task.chain.at(-1);
  const refused = task.status === 'refused';
  const marks = findingMarks(join, task.log, task.records);
  const where = whereOf(join, task);
  const start = task.records.find(
    (r) => r.kind === 'task-start' && join?.calleeLinks.has(recordKey(task.log, r.index)),
  );
  const joined = start === undefined ? undefined : join?.calleeLinks.get(recordKey(task.log, start.index));
  const doubt = joined === undefined ? undefined : linkDoubt(joined);
  const mismatch =
    joined !== undefined && join !== undefined && linkFindings(join.findings, joined).length > 0;
  const link =
    joined === undefined || join === undefined
      ? undefined
      : {
          text: `${doubt !== undefined ? '✖ unproven ' : mismatch ? '✖ mismatch ' : ''}${join.tagOf(joined.caller.log)} #${joined.caller.index} → ${join.tagOf(joined.callee.log)} #${joined.callee.index}`,
          proven: doubt === undefined && !mismatch,
        };
  const sub = refused ? `refused: ${task.refusal?.code ?? ''}` : (where?.sub ?? agent?.id ?? '');
  const note =
    where === undefined
      ? undefined
      : marks.kinds.length
        ? `✖ finding: ${marks.kinds.join(', ')}`
        : refused
          ? where.sub
          : (agent?.id ?? '');
  return {
    kind: 'agent',
    label: `${marks.kinds.length ? '✖ ' : ''}${VIA[via].mark}${who(agent)}`,
    sub,
    ...(note === undefined ? {} : { note }),
    title: [
      `${VIA[via].name} ${task.taskId}`,
      `agent ${agent?.id ?? '(none)'}`,
      `scope [${task.scope.join(', ')}]`,
      ...(refused ? [`refused ${task.refusal?.code ?? ''}: ${task.refusal?.message ?? ''}`] : []),
      ...[evidenceNote(task.evidence, task.records)].filter((note) => note !== undefined),
      ...(where === undefined ? [] : [where.line]),
      ...(joined === undefined || link === undefined
        ? []
        : [
            `link: ${joined.caller.service} ${joined.caller.log} record ${joined.caller.index} → ${joined.callee.service} ${joined.callee.log} record ${joined.callee.index} (credential ${joined.jti})`,
            ...(doubt === undefined ? [] : [doubt]),
          ]),
      ...marks.lines,
    ].join('\n'),
    fill: refused ? GRAPH_COLORS.refused : GRAPH_COLORS.agent,
    taskId: task.taskId,
    evidence: task.evidence,
    findings: marks.kinds,
    ...(join === undefined ? {} : { log: task.log ?? '' }),
    ...(link === undefined ? {} : { link }),
    children: [
      ...task.calls.map((call) => callNode(call, task, join)),
      ...task.delegations.map((child) => taskNodes(child, task.chain, join, 'delegation')),
    ],
    x: 0,
    y: 0,
  };
}

/**
 * Draws one task's authority chain as an inline SVG tree, left to right: requester → the whole agent
 * chain (for a task continued from another service, the caller's agents first: `g.node.agent.upstream`,
 * a darker purple) → the acting agent → its tool calls and delegated agents (recursively). Call nodes
 * are `<g class="node call">` with `data-call-id` and `data-verdict`, filled with {@link GRAPH_COLORS}; a node built from records that are
 * not all verified carries `data-evidence` (`failed`, `unsealed`, `unverified`) and says which in its
 * tooltip. Every string from the log is escaped; full details are in each node's `<title>` (a tooltip).
 *
 * @example
 * ```ts
 * const svg = renderTaskGraph(model.tasks[0]);
 * ```
 */
export function renderTaskGraph(task: TaskNode, join?: JoinView): string {
  const requester = task.requester;
  const root: GraphNode = {
    kind: 'requester',
    label: requester === null ? 'autonomous' : requester.id,
    sub: requester === null ? 'no human requester' : `${requester.kind} · ${requester.assurance}`,
    title:
      requester === null
        ? 'autonomous task (no requester)'
        : `requester ${requester.id} (${requester.assurance})${requester.issuer ? `\nissuer ${requester.issuer}` : ''}`,
    fill: GRAPH_COLORS.requester,
    children: [taskNodes(task, undefined, join, 'root')],
    x: 0,
    y: 0,
  };
  const LAYOUT = join === undefined ? LAYOUT_ONE : JOINED_LAYOUT;
  let rows = 0;
  let depth = 0;
  const place = (node: GraphNode, level: number) => {
    depth = Math.max(depth, level);
    node.x = LAYOUT.pad + level * LAYOUT.col;
    if (node.children.length === 0) {
      node.y = LAYOUT.pad + rows++ * LAYOUT.row;
      return;
    }
    for (const child of node.children) place(child, level + 1);
    const first = node.children[0] as GraphNode;
    const last = node.children.at(-1) as GraphNode;
    node.y = (first.y + last.y) / 2;
  };
  place(root, 0);
  const width = LAYOUT.pad * 2 + depth * LAYOUT.col + LAYOUT.width;
  // a link's label sits under its callee's node: room for it under the last row
  const height =
    LAYOUT.pad * 2 + (rows - 1) * LAYOUT.row + LAYOUT.height + (join === undefined ? 0 : LAYOUT.label);

  const edges: string[] = [];
  const nodes: string[] = [];
  const draw = (node: GraphNode) => {
    const evidence =
      node.evidence === undefined || node.evidence === 'verified' ? '' : ` data-evidence="${node.evidence}"`;
    const data =
      node.kind === 'call'
        ? ` data-call-id="${escapeHtml(node.callId)}" data-verdict="${node.verdict}"${evidence} tabindex="0"`
        : node.taskId === undefined
          ? ''
          : node.kind === 'upstream'
            ? ''
            : ` data-task-id="${escapeHtml(node.taskId)}"${evidence}`;
    const at = node.log === undefined ? '' : ` data-log="${escapeHtml(node.log)}"`;
    const found = node.findings?.length ? ` data-finding="${escapeHtml(node.findings.join(' '))}"` : '';
    const cls =
      (node.kind === 'call'
        ? `node call verdict-${node.verdict}`
        : node.kind === 'upstream'
          ? 'node agent upstream'
          : `node ${node.kind}${node.link === undefined ? '' : ' callee'}`) + (found ? ' finding' : '');
    const label =
      node.link === undefined
        ? ''
        : `<text x="${node.x + 2}" y="${node.y + LAYOUT.height + 13}" class="link-label${node.link.proven ? '' : ' unproven'}">${escapeHtml(clip(node.link.text, 34))}</text>`;
    nodes.push(
      `<g class="${cls}"${data}${at}${found}><title>${escapeHtml(node.title)}</title>` +
        `<rect x="${node.x}" y="${node.y}" width="${LAYOUT.width}" height="${LAYOUT.height}" rx="7" fill="${node.fill}"/>` +
        `<text x="${node.x + 10}" y="${node.y + 18}" class="label">${escapeHtml(clip(node.label, 25))}</text>` +
        `<text x="${node.x + 10}" y="${node.y + 33}" class="sub">${escapeHtml(clip(node.sub, 31))}</text>` +
        (node.note === undefined
          ? ''
          : `<text x="${node.x + 10}" y="${node.y + 48}" class="sub note${node.findings?.length ? ' finding' : ''}">${escapeHtml(clip(node.note, 31))}</text>`) +
        `${label}</g>`,
    );
    for (const child of node.children) {
      const x1 = node.x + LAYOUT.width;
      const y1 = node.y + LAYOUT.height / 2;
      const x2 = child.x;
      const y2 = child.y + LAYOUT.height / 2;
      const mid = (x1 + x2) / 2;
      const link = child.link === undefined ? '' : ` link${child.link.proven ? '' : ' unproven'}`;
      edges.push(
        `<path class="edge${link}" d="M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2 - 4} ${y2}" marker-end="url(#writ-arrow)"/>`,
      );
      draw(child);
    }
  };
  draw(root);
  const calls = nodes.filter((n) => n.startsWith('<g class="node call')).length;
  return (
    `<svg class="graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="authority chain of task ${escapeHtml(task.taskId)}: ${calls} call(s)">` +
    `${edges.join('')}${nodes.join('')}</svg>`
  );
}

/**
 * The shared SVG definitions the graphs of {@link renderTaskGraph} refer to (the arrow head); include it
 * once per page.
 *
 * @example
 * ```ts
 * const html = `<body>${GRAPH_DEFS}${renderTaskGraph(task)}</body>`;
 * ```
 */
export const GRAPH_DEFS =
  '<svg class="graph-defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>' +
  '<marker id="writ-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
  '<path d="M0 0L8 4L0 8z" class="arrowhead"/></marker></defs></svg>';

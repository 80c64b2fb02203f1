import type { CallNode, RecordEvidence, TaskNode } from '@writ/audit';
import type { PrincipalRef } from '@writ/core/plugin';
import { escapeHtml, showBidiControls } from './escape-html.js';
import { evidenceNote } from './evidence-note.js';
import { agentName } from './principal-text.js';
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
  readonly title: string;
  readonly fill: string;
  readonly verdict?: Verdict;
  readonly callId?: string;
  readonly taskId?: string;
  readonly evidence?: RecordEvidence | undefined;
  readonly children: GraphNode[];
  x: number;
  y: number;
}

const LAYOUT = { col: 228, row: 58, width: 196, height: 42, pad: 14 } as const;

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

function callNode(call: CallNode): GraphNode {
  const verdict = verdictOf(call);
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
  ];
  return {
    kind: 'call',
    label: call.tool,
    sub: `${verdict} · #${shortId(call.callId)}`,
    title: lines.join('\n'),
    fill: GRAPH_COLORS[verdict],
    verdict,
    callId: call.callId,
    evidence: call.evidence,
    children: [],
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
function taskNodes(task: TaskNode, parentChain: readonly PrincipalRef[] | undefined): GraphNode {
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
    agentNode(task, parentChain !== undefined),
  );
}

function agentNode(task: TaskNode, delegated: boolean): GraphNode {
  const agent = task.chain.at(-1);
  const refused = task.status === 'refused';
  return {
    kind: 'agent',
    label: `${delegated ? '↳ ' : ''}${who(agent)}`,
    sub: refused ? `refused: ${task.refusal?.code ?? ''}` : (agent?.id ?? ''),
    title: [
      `${delegated ? 'delegation' : 'task'} ${task.taskId}`,
      `agent ${agent?.id ?? '(none)'}`,
      `scope [${task.scope.join(', ')}]`,
      ...(refused ? [`refused ${task.refusal?.code ?? ''}: ${task.refusal?.message ?? ''}`] : []),
      ...[evidenceNote(task.evidence, task.records)].filter((note) => note !== undefined),
    ].join('\n'),
    fill: refused ? GRAPH_COLORS.refused : GRAPH_COLORS.agent,
    taskId: task.taskId,
    evidence: task.evidence,
    children: [...task.calls.map(callNode), ...task.delegations.map((child) => taskNodes(child, task.chain))],
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
export function renderTaskGraph(task: TaskNode): string {
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
    children: [taskNodes(task, undefined)],
    x: 0,
    y: 0,
  };
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
  const height = LAYOUT.pad * 2 + (rows - 1) * LAYOUT.row + LAYOUT.height;

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
    const cls =
      node.kind === 'call'
        ? `node call verdict-${node.verdict}`
        : node.kind === 'upstream'
          ? 'node agent upstream'
          : `node ${node.kind}`;
    nodes.push(
      `<g class="${cls}"${data}><title>${escapeHtml(node.title)}</title>` +
        `<rect x="${node.x}" y="${node.y}" width="${LAYOUT.width}" height="${LAYOUT.height}" rx="7" fill="${node.fill}"/>` +
        `<text x="${node.x + 10}" y="${node.y + 18}" class="label">${escapeHtml(clip(node.label, 25))}</text>` +
        `<text x="${node.x + 10}" y="${node.y + 33}" class="sub">${escapeHtml(clip(node.sub, 31))}</text></g>`,
    );
    for (const child of node.children) {
      const x1 = node.x + LAYOUT.width;
      const y1 = node.y + LAYOUT.height / 2;
      const x2 = child.x;
      const y2 = child.y + LAYOUT.height / 2;
      const mid = (x1 + x2) / 2;
      edges.push(
        `<path class="edge" d="M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2 - 4} ${y2}" marker-end="url(#writ-arrow)"/>`,
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

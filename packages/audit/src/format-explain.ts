import { approverText, outcomeText, remoteCallText } from '@writ/core/internal';
import type { PrincipalRef } from '@writ/core/plugin';
import type { RecordRef, TaskNode } from './explain-tree.js';
import { inboundText, principalText } from './inbound-text.js';
import type { RecordEvidence } from './verify/verified-log.js';

const registryOf = (agent: PrincipalRef | undefined) =>
  agent?.owner ? ` owner ${agent.owner}${agent.purpose ? ` ("${agent.purpose}")` : ''}` : '';

/** ` [service · log]` of a node explained over several logs (`explainLogs`), else nothing. */
const whereOf = (task: TaskNode) =>
  task.log === undefined ? '' : ` [${task.service ?? 'unknown service'} · ${task.log}]`;

const MARK = { allow: '✔ allow', deny: '✖ deny', approval_required: '⏸ approval' } as const;

/**
 * The lines that mark a node's records that are not proven: `✖ not verified: record 4 (decision)` for
 * records at or after the first bad one, `⚠ not sealed yet: record 9 (outcome)` for records no
 * checkpoint covers yet. Records read without a pinned key (`unverified`) are not marked one by one:
 * say so once, above the tree.
 */
function marks(records: readonly RecordRef[]): string[] {
  const list = (evidence: RecordEvidence) =>
    records
      .filter((r) => r.evidence === evidence)
      .map((r) => `record ${r.index} (${r.kind})`)
      .join(', ');
  const out: string[] = [];
  const failed = list('failed');
  if (failed !== '') out.push(`✖ not verified: ${failed}`);
  const unsealed = list('unsealed');
  if (unsealed !== '') out.push(`⚠ not sealed yet: ${unsealed}`);
  return out;
}

/**
 * Renders explained tasks as a text tree. A node whose records are not proven carries a line that
 * says which, right under its heading (see {@link TaskNode.records}).
 *
 * @example
 * ```ts
 * console.log(formatExplain(explain(events, { taskId })));
 * ```
 */
export function formatExplain(roots: readonly TaskNode[]): string {
  const out: string[] = [];
  const who = (p: PrincipalRef | null) => principalText(p);
  const walk = (task: TaskNode, prefix: string, kind: 'root' | 'delegation' | 'callee') => {
    const agent = task.chain.at(-1);
    const at = whereOf(task);
    const requester = `requester ${who(task.requester)}, correlation ${task.correlationId}${task.correlationUnverified ? ' (unverified: from baggage the caller sent)' : ''}`;
    const head =
      kind === 'root'
        ? `task ${task.taskId}${task.intent ? ` "${task.intent}"` : ''}${at}\n${prefix}${requester}`
        : kind === 'callee'
          ? `→ continued task ${task.taskId}${task.intent ? ` "${task.intent}"` : ''}${at}\n${prefix}${requester}`
          : `delegation ${task.taskId}${at}`;
    out.push(`${prefix}${head}`);
    const status =
      task.status === 'refused'
        ? ` ✖ refused ${task.refusal?.code ?? ''}: ${task.refusal?.message ?? ''}`
        : '';
    out.push(
      `${prefix}└─ agent ${agent?.name ?? agent?.id} <${agent?.id}>${registryOf(agent)} scope [${task.scope.join(', ')}]${status}`,
    );
    const inner = `${prefix}   `;
    for (const mark of marks(task.records)) out.push(`${inner}${mark}`);
    if (task.credential) out.push(`${inner}task token ${task.credential.jti}`);
    for (const inbound of task.inbound ?? []) {
      const { lines, missing } = inboundText(inbound);
      for (const line of lines) out.push(`${inner}${line}`);
      if (missing !== undefined) out.push(`${inner}${missing}`);
    }
    for (const call of task.calls) {
      const d = call.decision;
      out.push(`${inner}├─ ${call.tool} #${call.callId} [record ${call.index}]`);
      for (const mark of marks(call.records)) out.push(`${inner}│  ${mark}`);
      out.push(
        `${inner}│  decision ${MARK[d.effect]} by ${d.engine} ${d.decisionId}${d.policyIds.length ? ` policies ${d.policyIds.join(', ')}` : ''}`,
      );
      if (d.reasons.length) out.push(`${inner}│  reasons ${d.reasons.join('; ')}`);
      if (call.scopeDrift)
        out.push(
          `${inner}│  scope drift: ${call.scopeDrift.permission} not in [${call.scopeDrift.scope.join(', ')}]`,
        );
      if (call.approvalRequested) {
        const asked = call.approvalRequested;
        out.push(
          `${inner}│  approval requested (${asked.mode}) until ${new Date(asked.expiresAt).toISOString()}, binding ${asked.bindingHash}${call.approval === undefined ? ' — not answered' : ''}`,
        );
      }
      if (call.approval) {
        out.push(
          `${inner}│  approval ${call.approval.approved ? 'granted' : 'refused'} by ${approverText(call.approval)}${call.answeredAt === undefined ? '' : ` at ${call.answeredAt}`}`,
        );
      }
      if (call.credential)
        out.push(
          `${inner}│  credential ${call.credential.jti}${call.credential.audience ? ` for ${call.credential.audience}` : ''}`,
        );
      if (call.refusal) out.push(`${inner}│  refused ${call.refusal.code}: ${call.refusal.message}`);
      if (call.outcome)
        out.push(`${inner}│  outcome ${outcomeText(call.outcome)} in ${call.outcome.durationMs} ms`);
      for (const remote of call.outcome?.remote ?? []) out.push(`${inner}│  → ${remoteCallText(remote)}`);
      for (const callee of call.callees ?? []) walk(callee, `${inner}│  `, 'callee');
    }
    for (const child of task.delegations) walk(child, inner, 'delegation');
    if (task.revoked.length) out.push(`${inner}revoked ${task.revoked.length} credential(s) at task end`);
    if (task.end)
      out.push(`${inner}ended ${task.end.status}${task.end.errorCode ? ` (${task.end.errorCode})` : ''}`);
  };
  for (const root of roots) walk(root, '', 'root');
  return out.join('\n');
}

import type { RecordRef, TaskNode } from '@writ/audit';
import { inboundText, principalText } from '@writ/audit/internal';
import { approverText, outcomeText, remoteCallText } from '@writ/core/internal';
import type { PrincipalRef } from '@writ/core/plugin';
import type { Colors } from './io.js';
import { safeTerminalText as t } from './terminal-text.js';

/**
 * The authority-chain tree of `writ explain` as the terminal shows it: the text of `@writ/audit`'s
 * `formatExplain`, built field by field so that every piece of text from the log is escaped
 * (`safeTerminalText`) and only the tree's own marks are coloured. Colouring the finished text instead
 * would colour whatever a log field spells (an intent holding "✔ allow" would turn green).
 */

const MARK = { allow: '✔ allow', deny: '✖ deny', approval_required: '⏸ approval' } as const;

/** Who a principal is: `id (assurance)`, or autonomous. */
const who = (p: PrincipalRef | null) => principalText(p, t);

/** ` owner <owner> ("<purpose>")` of an agent from a registry, else nothing. */
const registryOf = (agent: PrincipalRef | undefined) =>
  agent?.owner ? ` owner ${t(agent.owner)}${agent.purpose ? ` ("${t(agent.purpose)}")` : ''}` : '';

/** The lines that mark a node's records that are not proven (as `formatExplain` writes them). */
function marks(records: readonly RecordRef[], c: Colors): string[] {
  const list = (evidence: RecordRef['evidence']) =>
    records
      .filter((r) => r.evidence === evidence)
      .map((r) => `record ${r.index} (${t(r.kind)})`)
      .join(', ');
  const out: string[] = [];
  const failed = list('failed');
  if (failed !== '') out.push(c.red(c.bold(`✖ not verified: ${failed}`)));
  const unsealed = list('unsealed');
  if (unsealed !== '') out.push(c.yellow(`⚠ not sealed yet: ${unsealed}`));
  return out;
}

/**
 * Renders explained tasks as `formatExplain` does (same text, line for line), with every field from the
 * log escaped for the terminal and the marks coloured: allow green, approval amber, deny / refusal /
 * errors red, headings bold, tree lines dim.
 *
 * @example
 * ```ts
 * for (const line of renderExplainTree(explain(events, { taskId }), ctx.out)) ctx.print(line);
 * ```
 */
export function renderExplainTree(roots: readonly TaskNode[], c: Colors): string[] {
  const out: string[] = [];
  const bar = c.dim('│');
  const walk = (task: TaskNode, prefix: string, kind: 'root' | 'delegation' | 'callee') => {
    const agent = task.chain.at(-1);
    const at =
      task.log === undefined ? '' : c.cyan(` [${t(task.service ?? 'unknown service')} · ${t(task.log)}]`);
    if (kind === 'delegation') out.push(`${prefix}${c.bold(c.magenta(`delegation ${t(task.taskId)}`))}${at}`);
    else {
      const head = kind === 'root' ? `task ${t(task.taskId)}` : `→ continued task ${t(task.taskId)}`;
      out.push(`${prefix}${c.bold(head)}${task.intent ? ` "${t(task.intent)}"` : ''}${at}`);
      const chosen = task.correlationUnverified
        ? c.yellow(' (unverified: from baggage the caller sent)')
        : '';
      out.push(`${prefix}requester ${who(task.requester)}, correlation ${t(task.correlationId)}${chosen}`);
    }
    const status =
      task.status === 'refused'
        ? ` ${c.red('✖ refused')} ${t(task.refusal?.code ?? '')}: ${t(task.refusal?.message ?? '')}`
        : '';
    const name = agent?.name ?? agent?.id;
    out.push(
      `${prefix}${c.dim('└─')} agent ${name === undefined ? 'undefined' : t(name)} <${agent === undefined ? 'undefined' : t(agent.id)}>${registryOf(agent)} scope [${task.scope.map(t).join(', ')}]${status}`,
    );
    const inner = `${prefix}   `;
    for (const mark of marks(task.records, c)) out.push(`${inner}${mark}`);
    if (task.credential) out.push(`${inner}task token ${t(task.credential.jti)}`);
    for (const inbound of task.inbound ?? []) {
      const { lines, missing } = inboundText(inbound, t);
      for (const line of lines) out.push(`${inner}${line}`);
      if (missing !== undefined) out.push(`${inner}${c.yellow(missing)}`);
    }
    for (const call of task.calls) {
      const d = call.decision;
      const line = (text: string) => out.push(`${inner}${bar}  ${text}`);
      out.push(`${inner}${c.dim('├─')} ${t(call.tool)} #${t(call.callId)} [record ${call.index}]`);
      for (const mark of marks(call.records, c)) line(mark);
      const effect = MARK[d.effect] ?? t(d.effect);
      const painted =
        d.effect === 'allow' ? c.green(effect) : d.effect === 'deny' ? c.red(effect) : c.yellow(effect);
      line(
        `decision ${painted} by ${t(d.engine)} ${t(d.decisionId)}${d.policyIds.length ? ` policies ${d.policyIds.map(t).join(', ')}` : ''}`,
      );
      if (d.reasons.length) line(`reasons ${d.reasons.map(t).join('; ')}`);
      if (call.scopeDrift)
        line(
          `${c.yellow('scope drift:')} ${t(call.scopeDrift.permission)} not in [${call.scopeDrift.scope.map(t).join(', ')}]`,
        );
      if (call.approvalRequested) {
        const asked = call.approvalRequested;
        const until = Number.isFinite(asked.expiresAt)
          ? new Date(asked.expiresAt).toISOString()
          : String(asked.expiresAt);
        line(
          `approval requested (${t(asked.mode)}) until ${until}, binding ${t(asked.bindingHash)}${call.approval === undefined ? c.yellow(' — not answered') : ''}`,
        );
      }
      if (call.approval) {
        const verdict = call.approval.approved ? c.green('approval granted') : c.red('approval refused');
        line(
          `${verdict} by ${t(approverText(call.approval))}${call.answeredAt === undefined ? '' : ` at ${t(call.answeredAt)}`}`,
        );
      }
      if (call.credential)
        line(
          `credential ${t(call.credential.jti)}${call.credential.audience ? ` for ${t(call.credential.audience)}` : ''}`,
        );
      if (call.refusal) line(`${c.red(`refused ${t(call.refusal.code)}:`)} ${t(call.refusal.message)}`);
      if (call.outcome) {
        const o = call.outcome;
        const head = `outcome ${t(outcomeText(o))}`;
        const painted =
          o.status === 'ok'
            ? c.green(head)
            : o.status === 'error' || o.status === 'refused'
              ? c.red(head)
              : head;
        line(`${painted} in ${o.durationMs} ms`);
        for (const remote of o.remote ?? []) {
          const text = `→ ${t(remoteCallText(remote))}`;
          line(remote.refusal !== undefined || remote.problem !== undefined ? c.red(text) : text);
        }
      }
      for (const callee of call.callees ?? []) walk(callee, `${inner}${bar}  `, 'callee');
    }
    for (const child of task.delegations) walk(child, inner, 'delegation');
    if (task.revoked.length) out.push(`${inner}revoked ${task.revoked.length} credential(s) at task end`);
    if (task.end) {
      const ended = `ended ${t(task.end.status)}`;
      out.push(
        `${inner}${task.end.status === 'ok' ? ended : c.red(ended)}${task.end.errorCode ? ` (${t(task.end.errorCode)})` : ''}`,
      );
    }
  };
  for (const root of roots) walk(root, '', 'root');
  return out;
}

import type {
  ApprovalRecord,
  AuditEvent,
  CredentialRef,
  DecisionEvent,
  OutcomeEvent,
  PrincipalRef,
  TaskStartEvent,
} from '@writ/core/plugin';
import { readLines } from './log-reader.js';
import type { LogRecord } from './record.js';

/**
 * What to explain: one task (and its delegations), one call, or everything with a correlation id.
 *
 * @example
 * ```ts
 * const byCall: ExplainQuery = { callId: '019a5c1e-7d2f-7c4e-9f1a-3b2c1d0e9f8a' };
 * const roots = await explainLog('.writ/audit', byCall);
 * ```
 */
export type ExplainQuery = { taskId: string } | { callId: string } | { correlationId: string };

/**
 * One tool call in the authority chain: its decision, approval, credential and outcome.
 *
 * @example
 * ```ts
 * const roots = await explainLog('.writ/audit', { taskId });
 * const refused = roots
 *   .flatMap((task) => task.calls)
 *   .filter((call: CallNode) => call.decision.effect === 'deny' || call.refusal !== undefined)
 *   .map((call) => `${call.tool}: ${call.refusal?.code ?? call.decision.reasons.join('; ')}`);
 * ```
 */
export interface CallNode {
  readonly callId: string;
  readonly tool: string;
  /** Log index of the decision record. */
  readonly index: number;
  readonly decision: DecisionEvent['decision'];
  readonly scopeDrift: DecisionEvent['scopeDrift'];
  readonly refusal: DecisionEvent['refusal'];
  readonly approval: ApprovalRecord | undefined;
  readonly credential: CredentialRef | undefined;
  readonly outcome: OutcomeEvent['outcome'] | undefined;
}

/**
 * One task or delegation: who asked, which agents acted under what scope, its calls, and the tasks it
 * delegated to.
 *
 * @example
 * ```ts
 * const countCalls = (task: TaskNode): number =>
 *   task.calls.length + task.delegations.reduce((n, sub) => n + countCalls(sub), 0);
 * const [root] = await explainLog('.writ/audit', { taskId });
 * if (root !== undefined) console.log(`${root.requester?.id ?? 'autonomous'}: ${countCalls(root)} calls`);
 * ```
 */
export interface TaskNode {
  readonly taskId: string;
  readonly parentTaskId: string | undefined;
  readonly correlationId: string;
  readonly intent: string | undefined;
  readonly requester: PrincipalRef | null;
  readonly chain: readonly PrincipalRef[];
  readonly scope: readonly string[];
  readonly status: 'started' | 'refused';
  readonly refusal: TaskStartEvent['refusal'];
  readonly credential: CredentialRef | undefined;
  readonly calls: CallNode[];
  readonly delegations: TaskNode[];
  readonly revoked: readonly CredentialRef[];
  readonly end: { status: 'ok' | 'error'; errorCode?: string | undefined } | undefined;
}

/**
 * Rebuilds the authority chain from audit events alone: requester → agents (with delegations nested)
 * → each call's decision (policy ids, reasons, evaluated context) → approval → credential → outcome.
 *
 * @example
 * ```ts
 * const roots = explain(events, { taskId });
 * console.log(formatExplain(roots));
 * ```
 */
export function explain(
  events: Iterable<{ index: number; event: LogRecord }>,
  query: ExplainQuery,
): TaskNode[] {
  const tasks = new Map<
    string,
    TaskNode & { calls: CallNode[]; delegations: TaskNode[]; revoked: CredentialRef[] }
  >();
  const calls = new Map<
    string,
    CallNode & { approval?: ApprovalRecord; outcome?: OutcomeEvent['outcome'] }
  >();
  const approvals = new Map<string, ApprovalRecord>();
  // a framework's tool call id is a hint, not an identity (providers number calls per response, two
  // users' runs can both hold a call "0"): a call is its id within its task
  const callKey = (e: { taskId: string; call: { id: string } }) => `${e.taskId}\u0000${e.call.id}`;
  const order: string[] = [];
  for (const { index, event } of events) {
    if (event.kind === 'checkpoint') continue;
    const e = event as AuditEvent;
    if (e.kind === 'task-start') {
      // a service continuing a caller's task (`writ.task({ inbound })`) opens the same task id once per
      // request: its calls belong to one node
      if (tasks.has(e.taskId)) continue;
      tasks.set(e.taskId, {
        taskId: e.taskId,
        parentTaskId: e.parentTaskId,
        correlationId: e.correlationId,
        intent: e.intent,
        requester: e.requester,
        chain: e.chain,
        scope: e.scope,
        status: e.status,
        refusal: e.refusal,
        credential: e.credential,
        calls: [],
        delegations: [],
        revoked: [],
        end: undefined,
      });
      order.push(e.taskId);
      continue;
    }
    const task = tasks.get(e.taskId);
    if (e.kind === 'approval') approvals.set(callKey(e), e.approval);
    if (e.kind === 'decision') {
      const node = {
        callId: e.call.id,
        tool: e.call.name,
        index,
        decision: e.decision,
        scopeDrift: e.scopeDrift,
        refusal: e.refusal,
        approval: e.approval ?? approvals.get(callKey(e)),
        credential: e.credential,
        outcome: undefined,
      };
      calls.set(callKey(e), node);
      task?.calls.push(node);
    }
    if (e.kind === 'outcome') {
      const call = calls.get(callKey(e)) as { outcome?: OutcomeEvent['outcome'] } | undefined;
      // a replay hands back how the call ended: it does not replace that outcome
      const replayOfKnown = e.outcome.status === 'replayed' && call?.outcome !== undefined;
      if (call !== undefined && !replayOfKnown) call.outcome = e.outcome;
    }
    if (e.kind === 'revocation') task?.revoked.push(...e.credentials);
    if (e.kind === 'task-end' && task !== undefined) {
      (task as { end?: TaskNode['end'] }).end = { status: e.status, errorCode: e.errorCode };
    }
  }
  for (const id of order) {
    const task = tasks.get(id);
    const parent = task?.parentTaskId === undefined ? undefined : tasks.get(task.parentTaskId);
    if (task !== undefined && parent !== undefined) parent.delegations.push(task);
  }
  const roots = order
    .map((id) => tasks.get(id) as TaskNode)
    .filter((t) => t.parentTaskId === undefined || !tasks.has(t.parentTaskId));
  if ('taskId' in query) {
    const task = tasks.get(query.taskId);
    return task === undefined ? [] : [task];
  }
  if ('callId' in query) {
    for (const task of tasks.values()) {
      const call = task.calls.find((c) => c.callId === query.callId);
      if (call !== undefined) return [{ ...task, calls: [call], delegations: [] }];
    }
    return [];
  }
  return roots.filter((t) => t.correlationId === query.correlationId);
}

/**
 * Reads a log directory and explains part of it (see {@link explain}).
 *
 * @example
 * ```ts
 * console.log(formatExplain(await explainLog('.writ/audit', { correlationId })));
 * ```
 */
export async function explainLog(dir: string, query: ExplainQuery): Promise<TaskNode[]> {
  const events: { index: number; event: LogRecord }[] = [];
  let index = 0;
  for await (const line of readLines(dir)) {
    if (!line.complete) break;
    try {
      events.push({ index, event: (JSON.parse(line.bytes.toString('utf8')) as { r: LogRecord }).r });
    } catch {
      // unreadable records are verify's business; explain what can be read
    }
    index++;
  }
  return explain(events, query);
}

const registryOf = (agent: PrincipalRef | undefined) =>
  agent?.owner ? ` owner ${agent.owner}${agent.purpose ? ` ("${agent.purpose}")` : ''}` : '';

const MARK = { allow: '✔ allow', deny: '✖ deny', approval_required: '⏸ approval' } as const;

/**
 * Renders explained tasks as a text tree.
 *
 * @example
 * ```ts
 * console.log(formatExplain(explain(events, { taskId })));
 * ```
 */
export function formatExplain(roots: readonly TaskNode[]): string {
  const out: string[] = [];
  const who = (p: PrincipalRef | null) =>
    p === null ? 'autonomous (no requester)' : `${p.id} (${p.assurance})`;
  const walk = (task: TaskNode, prefix: string, isRoot: boolean) => {
    const agent = task.chain.at(-1);
    const head = isRoot
      ? `task ${task.taskId}${task.intent ? ` "${task.intent}"` : ''}\n${prefix}requester ${who(task.requester)}, correlation ${task.correlationId}`
      : `delegation ${task.taskId}`;
    out.push(`${prefix}${head}`);
    const status =
      task.status === 'refused'
        ? ` ✖ refused ${task.refusal?.code ?? ''}: ${task.refusal?.message ?? ''}`
        : '';
    out.push(
      `${prefix}└─ agent ${agent?.name ?? agent?.id} <${agent?.id}>${registryOf(agent)} scope [${task.scope.join(', ')}]${status}`,
    );
    const inner = `${prefix}   `;
    if (task.credential) out.push(`${inner}task token ${task.credential.jti}`);
    for (const call of task.calls) {
      const d = call.decision;
      out.push(`${inner}├─ ${call.tool} #${call.callId} [record ${call.index}]`);
      out.push(
        `${inner}│  decision ${MARK[d.effect]} by ${d.engine} ${d.decisionId}${d.policyIds.length ? ` policies ${d.policyIds.join(', ')}` : ''}`,
      );
      if (d.reasons.length) out.push(`${inner}│  reasons ${d.reasons.join('; ')}`);
      if (call.scopeDrift)
        out.push(
          `${inner}│  scope drift: ${call.scopeDrift.permission} not in [${call.scopeDrift.scope.join(', ')}]`,
        );
      if (call.approval) {
        out.push(
          `${inner}│  approval ${call.approval.approved ? 'granted' : 'refused'} by ${call.approval.approver?.id ?? 'nobody'}`,
        );
      }
      if (call.credential)
        out.push(
          `${inner}│  credential ${call.credential.jti}${call.credential.audience ? ` for ${call.credential.audience}` : ''}`,
        );
      if (call.refusal) out.push(`${inner}│  refused ${call.refusal.code}: ${call.refusal.message}`);
      if (call.outcome)
        out.push(
          `${inner}│  outcome ${call.outcome.status}${call.outcome.errorCode ? ` ${call.outcome.errorCode}` : ''} in ${call.outcome.durationMs} ms`,
        );
    }
    for (const child of task.delegations) walk(child, inner, false);
    if (task.revoked.length) out.push(`${inner}revoked ${task.revoked.length} credential(s) at task end`);
    if (task.end)
      out.push(`${inner}ended ${task.end.status}${task.end.errorCode ? ` (${task.end.errorCode})` : ''}`);
  };
  for (const root of roots) walk(root, '', true);
  return out.join('\n');
}

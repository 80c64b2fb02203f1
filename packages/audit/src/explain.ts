import type {
  ApprovalRecord,
  AuditEvent,
  CredentialRef,
  DecisionEvent,
  OutcomeEvent,
  PrincipalRef,
  TaskStartEvent,
} from '@writ/core/plugin';
import type { LogRecord } from './record.js';
import {
  type ReadVerifiedLogOptions,
  type RecordEvidence,
  readVerifiedLog,
  type VerifiedRecord,
} from './verify/verified-log.js';

/**
 * One record an explained node was built from: its index, its kind and, when the log was verified,
 * what that proves about it.
 *
 * @example
 * ```ts
 * const doubtful = (refs: readonly RecordRef[]) => refs.filter((r) => r.evidence !== 'verified');
 * ```
 */
export interface RecordRef {
  readonly index: number;
  readonly kind: LogRecord['kind'];
  readonly evidence?: RecordEvidence;
}

/**
 * What to explain: one task (and its delegations), one call, or everything with a correlation id.
 *
 * @example
 * ```ts
 * const byCall: ExplainQuery = { callId: '019a5c1e-7d2f-7c4e-9f1a-3b2c1d0e9f8a' };
 * const roots = await explainLog('.writ/audit', byCall);
 * ```
 */
export type ExplainQuery =
  | { taskId: string }
  | { callId: string }
  | {
      correlationId: string;
      /**
       * Also the tasks whose correlation id came from unsigned baggage (`correlationUnverified`): anyone
       * who reached the service could have chosen it. @default false
       */
      includeUnverified?: boolean;
    };

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
  /**
   * Set when approval was asked for the call (`approval-requested` record): the binding hash an answer
   * must echo, its expiry and how the call waited. A call whose approval is still unanswered has only
   * this record (its `decision` is the one that asked).
   */
  readonly approvalRequested?:
    | { readonly bindingHash: string; readonly expiresAt: number; readonly mode: 'framework' | 'suspend' }
    | undefined;
  readonly credential: CredentialRef | undefined;
  readonly outcome: OutcomeEvent['outcome'] | undefined;
  /** The records it was built from: decision, approval (when separate), outcome. */
  readonly records: readonly RecordRef[];
  /** The weakest evidence among `records`, when the events carried evidence. */
  readonly evidence?: RecordEvidence;
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
  /** The correlation id came from unsigned baggage, not from a verified credential: the caller chose it. */
  readonly correlationUnverified?: boolean;
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
  readonly end: { status: 'ok' | 'error' | 'abandoned'; errorCode?: string | undefined } | undefined;
  /** The records it was built from: task start(s), revocation, task end (its calls list their own). */
  readonly records: readonly RecordRef[];
  /** The weakest evidence among `records`, when the events carried evidence. */
  readonly evidence?: RecordEvidence;
}

/** An explained node being built. */
type Building<T> = { -readonly [K in keyof T]: T[K] } & { records: RecordRef[] };

/**
 * Rebuilds the authority chain from audit events alone: requester → agents (with delegations nested)
 * → each call's decision (policy ids, reasons, evaluated context) → approval → credential → outcome.
 * Events may carry what verification proves about them (`readVerifiedLog`): every node then lists its
 * records with their evidence, and its weakest.
 *
 * @example
 * ```ts
 * const roots = explain(events, { taskId });
 * console.log(formatExplain(roots));
 * ```
 */
export function explain(
  events: Iterable<{ index: number; event: LogRecord; evidence?: RecordEvidence }>,
  query: ExplainQuery,
): TaskNode[] {
  const tasks = new Map<
    string,
    Building<TaskNode> & { calls: CallNode[]; delegations: TaskNode[]; revoked: CredentialRef[] }
  >();
  // a framework's tool call id is a hint, not an identity (providers number calls per response, two
  // users' runs can both hold a call "0"): a call is its id within its task (callKey)
  const calls = new Map<string, Building<CallNode>>();
  const approvals = new Map<string, { approval: ApprovalRecord; ref: RecordRef }>();
  /** Calls known so far only by their approval-requested record. */
  const requested = new Set<Building<CallNode>>();
  const order: string[] = [];
  for (const { index, event, evidence } of events) {
    if (event.kind === 'checkpoint') continue;
    const e = event as AuditEvent;
    const ref: RecordRef =
      evidence === undefined ? { index, kind: e.kind } : { index, kind: e.kind, evidence };
    if (e.kind === 'task-start') {
      // a service continuing a caller's task (`writ.task({ inbound })`) opens the same task id once per
      // request: its calls belong to one node
      const known = tasks.get(e.taskId);
      if (known !== undefined) {
        known.records.push(ref);
        continue;
      }
      tasks.set(e.taskId, {
        taskId: e.taskId,
        parentTaskId: e.parentTaskId,
        correlationId: e.correlationId,
        correlationUnverified: e.correlationUnverified === true,
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
        records: [ref],
      });
      order.push(e.taskId);
      continue;
    }
    const task = tasks.get(e.taskId);
    if (e.kind === 'approval') approvals.set(callKey(e), { approval: e.approval, ref });
    if (e.kind === 'approval-requested') {
      // the call waits for an answer: a node now (an approval never answered leaves only this record),
      // completed by its decision record when the call is decided
      const node: Building<CallNode> = {
        callId: e.call.id,
        tool: e.call.name,
        index,
        decision: e.decision,
        scopeDrift: undefined,
        refusal: undefined,
        approval: undefined,
        approvalRequested: { bindingHash: e.bindingHash, expiresAt: e.expiresAt, mode: e.mode },
        credential: undefined,
        outcome: undefined,
        records: [ref],
      };
      calls.set(callKey(e), node);
      requested.add(node);
      task?.calls.push(node);
    }
    if (e.kind === 'decision') {
      // an approval record of the call is one of its records, whether or not the decision repeats it
      const separate = approvals.get(callKey(e));
      const asked = calls.get(callKey(e));
      if (asked !== undefined && requested.delete(asked)) {
        Object.assign(asked, {
          index,
          decision: e.decision,
          scopeDrift: e.scopeDrift,
          refusal: e.refusal,
          approval: e.approval ?? separate?.approval,
          credential: e.credential,
        });
        asked.records.push(...(separate === undefined ? [ref] : [separate.ref, ref]));
        continue;
      }
      const node: Building<CallNode> = {
        callId: e.call.id,
        tool: e.call.name,
        index,
        decision: e.decision,
        scopeDrift: e.scopeDrift,
        refusal: e.refusal,
        approval: e.approval ?? separate?.approval,
        credential: e.credential,
        outcome: undefined,
        records: separate === undefined ? [ref] : [separate.ref, ref],
      };
      calls.set(callKey(e), node);
      task?.calls.push(node);
    }
    if (e.kind === 'outcome') {
      const call = calls.get(callKey(e));
      if (call !== undefined) {
        // a replay hands back how the call ended: it does not replace that outcome
        if (!(e.outcome.status === 'replayed' && call.outcome !== undefined)) call.outcome = e.outcome;
        call.records.push(ref);
      }
    }
    if (e.kind === 'revocation' && task !== undefined) {
      task.revoked.push(...e.credentials);
      task.records.push(ref);
    }
    if (e.kind === 'task-end' && task !== undefined) {
      task.end = { status: e.status, errorCode: e.errorCode };
      task.records.push(ref);
    }
  }
  for (const node of [...tasks.values(), ...calls.values()]) {
    const weakest = weakestOf(node.records);
    if (weakest !== undefined) node.evidence = weakest;
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
  return roots.filter(
    (t) =>
      t.correlationId === query.correlationId &&
      (query.includeUnverified === true || !t.correlationUnverified),
  );
}

/**
 * A call's records are joined on task and call id: frameworks and providers reuse call ids across
 * tasks, so a call id alone could attach one task's approval or outcome to another's call.
 */
function callKey(e: { readonly taskId: string; readonly call: { readonly id: string } }): string {
  return `${e.taskId}\u0000${e.call.id}`;
}

const STRENGTH: Record<RecordEvidence, number> = { failed: 0, unverified: 1, unsealed: 2, verified: 3 };

/** The weakest evidence among `refs`, or `undefined` when they carry none. */
function weakestOf(refs: readonly RecordRef[]): RecordEvidence | undefined {
  let weakest: RecordEvidence | undefined;
  for (const { evidence } of refs) {
    if (evidence !== undefined && (weakest === undefined || STRENGTH[evidence] < STRENGTH[weakest]))
      weakest = evidence;
  }
  return weakest;
}

/**
 * Reads a log directory and explains part of it (see {@link explain}), verifying it in the same pass
 * (`readVerifiedLog`): every node carries its records' evidence. Without a pinned `verifierKey` nothing
 * is proven (evidence `unverified`); `verify: false` reads the log as it stands. To see the verdict
 * itself and the records that cannot be read, use `readVerifiedLog` and {@link explain}.
 *
 * @example
 * ```ts
 * const roots = await explainLog('.writ/audit', { correlationId }, { verifierKey });
 * if (roots.some((t) => t.evidence !== 'verified')) console.warn('not everything below is proven');
 * console.log(formatExplain(roots));
 * ```
 */
export async function explainLog(
  dir: string,
  query: ExplainQuery,
  options: ReadVerifiedLogOptions = {},
): Promise<TaskNode[]> {
  const { records } = await readVerifiedLog(dir, options);
  return explain(explainable(records), query);
}

/** The records of a verified log that {@link explain} can use (those that parse), with their evidence. */
function explainable(
  records: readonly VerifiedRecord[],
): { index: number; event: LogRecord; evidence: RecordEvidence }[] {
  const events: { index: number; event: LogRecord; evidence: RecordEvidence }[] = [];
  for (const { index, record, evidence } of records) {
    if (record !== undefined) events.push({ index, event: record, evidence });
  }
  return events;
}

const registryOf = (agent: PrincipalRef | undefined) =>
  agent?.owner ? ` owner ${agent.owner}${agent.purpose ? ` ("${agent.purpose}")` : ''}` : '';

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
  const who = (p: PrincipalRef | null) =>
    p === null ? 'autonomous (no requester)' : `${p.id} (${p.assurance})`;
  const walk = (task: TaskNode, prefix: string, isRoot: boolean) => {
    const agent = task.chain.at(-1);
    const head = isRoot
      ? `task ${task.taskId}${task.intent ? ` "${task.intent}"` : ''}\n${prefix}requester ${who(task.requester)}, correlation ${task.correlationId}${task.correlationUnverified ? ' (unverified: from baggage the caller sent)' : ''}`
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
    for (const mark of marks(task.records)) out.push(`${inner}${mark}`);
    if (task.credential) out.push(`${inner}task token ${task.credential.jti}`);
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

import type { ApprovalRecord, AuditEvent, CredentialRef } from '@writ/core/plugin';
import type { CallNode, ExplainQuery, RecordRef, TaskNode } from './explain-tree.js';
import { isFleetRecord } from './fleet/fleet-record.js';
import type { LogRecord } from './record.js';
import type { RecordEvidence } from './verify/verified-log.js';

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
  const approvals = new Map<string, { approval: ApprovalRecord; ref: RecordRef; time: string }>();
  /** Calls known so far only by their approval-requested record. */
  const requested = new Set<Building<CallNode>>();
  const order: string[] = [];
  for (const { index, event, evidence } of events) {
    if (event.kind === 'checkpoint' || isFleetRecord(event)) continue;
    const e = event as AuditEvent;
    const ref: RecordRef =
      evidence === undefined ? { index, kind: e.kind } : { index, kind: e.kind, evidence };
    if (e.kind === 'task-start') {
      // a service continuing a caller's task (`writ.task({ inbound })`) opens the same task id once per
      // request: its calls belong to one node
      const known = tasks.get(e.taskId);
      if (known !== undefined) {
        known.records.push(ref);
        if (e.inbound !== undefined && !known.inbound?.some((i) => i.jti === e.inbound?.jti))
          known.inbound = [...(known.inbound ?? []), e.inbound];
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
        ...(e.inbound === undefined ? {} : { inbound: [e.inbound] }),
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
    if (e.kind === 'approval') approvals.set(callKey(e), { approval: e.approval, ref, time: e.time });
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
      const decided = {
        index,
        decision: e.decision,
        scopeDrift: e.scopeDrift,
        refusal: e.refusal,
        approval: e.approval ?? separate?.approval,
        // when the answer was recorded: its own record's time
        ...(separate === undefined ? {} : { answeredAt: separate.time }),
        credential: e.credential,
      };
      const refs = separate === undefined ? [ref] : [separate.ref, ref];
      // a call whose approval was asked first (approval-requested) is that node, now decided
      const asked = calls.get(callKey(e));
      if (asked !== undefined && requested.delete(asked)) {
        Object.assign(asked, decided);
        asked.records.push(...refs);
        continue;
      }
      const node: Building<CallNode> = {
        callId: e.call.id,
        tool: e.call.name,
        ...decided,
        outcome: undefined,
        records: refs,
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
      // revoked at the end: on the task-end record (older logs: a revocation record before it)
      if (e.revoked !== undefined) task.revoked.push(...e.revoked);
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

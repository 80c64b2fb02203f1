// The evaluated context of a decision record, split in two: the part every call of a task repeats (the
// subject and the task's own context keys), written once per task and log and referenced by its digest
// after that, and the per-call part (action, resource, arguments digest…), kept in every record.
//
// Key order: every object built here lists its keys in canonical (sorted) order, so records still
// serialise on canonicalJson's fast path and a resolved request has the keys of the one recorded.
import type { DecisionEvent, DecisionRecord } from './audit-event.js';
import { digest } from './canonical-json.js';
import type { AuthorizationRequest } from './decision.js';

/**
 * The keys of an evaluated context's `context` that the calls of one task share (sorted): they go to the
 * record's {@link SharedContext}, every other key stays in the decision record.
 *
 * @example
 * ```ts
 * const perCall = Object.keys(request.context).filter((k) => !SHARED_CONTEXT_KEYS.includes(k as never));
 * // ['argsDigest', 'dataClassification', 'inScope', 'risk', 'toolCallId', …what middleware added]
 * ```
 */
export const SHARED_CONTEXT_KEYS = [
  'autonomous',
  'chainDepth',
  'correlationId',
  'environment',
  'intent',
  'scope',
  'taskId',
] as const;

const SHARED: ReadonlySet<string> = new Set(SHARED_CONTEXT_KEYS);

/**
 * The part of an evaluated context the calls of a task share: the `subject` (the acting agent, its
 * requester and chain) and the {@link SHARED_CONTEXT_KEYS} of `context` (task, correlation, intent,
 * scope, environment…).
 *
 * @example
 * ```ts
 * const shared: SharedContextValue = {
 *   context: { autonomous: false, chainDepth: 1, correlationId: 'c1', environment: 'development', scope: ['*'], taskId: 't1' },
 *   subject: { id: 'spiffe://writ.local/agent/support', properties: { autonomous: false, chain: [], chainDepth: 1, requester: null }, type: 'Agent' },
 * };
 * ```
 */
export interface SharedContextValue {
  readonly context: Readonly<Record<string, unknown>>;
  readonly subject: AuthorizationRequest['subject'];
}

/**
 * How a decision record (`decision.sharedContext`, records of version 2) carries the shared part of its
 * evaluated context: its `digest` (`sha256:<hex>` of its RFC 8785 form, as `argsDigest`), and the
 * `value` itself in the first decision record of the task in the log; later ones carry the digest only.
 * The record's `evaluatedContext` then holds the rest (action, resource, the per-call context keys).
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … two calls in one task through createWrit({ audit, … }) …
 * const [first, second] = audit.lines.map((line) => JSON.parse(line)).filter((r) => r.kind === 'decision');
 * first.decision.sharedContext.value !== undefined; // written once
 * second.decision.sharedContext.digest === first.decision.sharedContext.digest; // referenced after
 * ```
 */
export interface SharedContext {
  readonly digest: string;
  readonly value?: SharedContextValue | undefined;
}

/** A value compared by content, identity first (plain objects and arrays; anything else by identity). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype) return false;
  if (Object.getPrototypeOf(b) !== Object.prototype) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let count = 0;
  for (const key in ra) {
    if (ra[key] === undefined) continue;
    count++;
    if (!same(ra[key], rb[key])) return false;
  }
  for (const key in rb) if (rb[key] !== undefined) count--;
  return count === 0;
}

/** The shared part of a request, or `undefined` when it has no object `subject` and `context`. */
function sharedOf(request: AuthorizationRequest): SharedContextValue | undefined {
  const { subject, context } = request as Partial<AuthorizationRequest>;
  if (typeof subject !== 'object' || subject === null || typeof context !== 'object' || context === null)
    return undefined;
  const shared: Record<string, unknown> = {};
  for (const key of SHARED_CONTEXT_KEYS) if (context[key] !== undefined) shared[key] = context[key];
  return { context: shared, subject };
}

/** Whether `request`'s shared part is `value` (by content). */
function sharesWith(request: AuthorizationRequest, value: SharedContextValue): boolean {
  if (!same(request.subject, value.subject)) return false;
  const context = request.context as Readonly<Record<string, unknown>>;
  for (const key of SHARED_CONTEXT_KEYS) if (!same(context[key], value.context[key])) return false;
  return true;
}

/** The per-call part of a request: everything but `subject` and the shared keys of `context`. */
function perCallOf(request: AuthorizationRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(request)) {
    if (key === 'subject') continue;
    if (key !== 'context') {
      out[key] = (request as unknown as Record<string, unknown>)[key];
      continue;
    }
    const context: Record<string, unknown> = {};
    const full = request.context as Readonly<Record<string, unknown>>;
    for (const name of Object.keys(full)) if (!SHARED.has(name)) context[name] = full[name];
    out.context = context;
  }
  return out;
}

/**
 * What a writer remembers of one task (one attribution) for one log: the last shared part and its digest
 * (to skip re-encoding it when the next call's is the same), and the digests already written.
 *
 * @example
 * ```ts
 * const memory: SharedContextMemory = { last: undefined, written: new Set() };
 * ```
 * @internal
 */
export interface SharedContextMemory {
  last: { readonly value: SharedContextValue; readonly digest: string } | undefined;
  readonly written: Set<string>;
}

/**
 * Splits an evaluated context for a decision record: the per-call part, and the shared part by
 * reference (with its value when `memory` has not written it yet, which it then remembers). `undefined`
 * when the request has no subject and context to share (the record keeps it whole).
 *
 * @example
 * ```ts
 * const memory: SharedContextMemory = { last: undefined, written: new Set() };
 * const first = splitEvaluatedContext(request, memory); // first?.sharedContext.value: the shared part
 * const next = splitEvaluatedContext(nextRequest, memory); // next?.sharedContext: { digest } alone
 * ```
 * @internal
 */
export function splitEvaluatedContext(
  request: AuthorizationRequest,
  memory: SharedContextMemory,
): { readonly evaluatedContext: Record<string, unknown>; readonly sharedContext: SharedContext } | undefined {
  let last = memory.last;
  if (last === undefined || !sharesWith(request, last.value)) {
    const value = sharedOf(request);
    if (value === undefined) return undefined;
    last = { value, digest: digest(value) };
    memory.last = last;
  }
  const evaluatedContext = perCallOf(request);
  if (memory.written.has(last.digest)) return { evaluatedContext, sharedContext: { digest: last.digest } };
  memory.written.add(last.digest);
  return { evaluatedContext, sharedContext: { digest: last.digest, value: last.value } };
}

/** The full request from its per-call part and the shared part (keys in canonical order). */
export function joinEvaluatedContext(
  perCall: Readonly<Record<string, unknown>>,
  shared: SharedContextValue,
): AuthorizationRequest {
  const own = (perCall.context ?? {}) as Readonly<Record<string, unknown>>;
  const context: Record<string, unknown> = {};
  for (const key of [...Object.keys(own), ...Object.keys(shared.context)].sort())
    context[key] = key in own ? own[key] : shared.context[key];
  const request: Record<string, unknown> = {};
  for (const key of [...Object.keys(perCall).filter((k) => k !== 'context'), 'context', 'subject'].sort())
    request[key] = key === 'context' ? context : key === 'subject' ? shared.subject : perCall[key];
  return request as unknown as AuthorizationRequest;
}

/**
 * What a reader found wrong with a decision record's shared context, by kind:
 *
 * - `shared-context-missing`: no decision record of the same task in the log holds the value the record
 *   references (the record that held it was cut, or the record was made by hand);
 * - `shared-context-foreign`: the value referenced is held only by another task's records (a record
 *   altered to point at another task's context);
 * - `shared-context-mismatch`: a record holds a value whose digest is not the one it names, or a value
 *   of another task (its `taskId`, `correlationId` or actor are not the record's).
 *
 * @example
 * ```ts
 * const finding: SharedContextFinding = { kind: 'shared-context-missing', index: 7, message: '…' };
 * ```
 */
export interface SharedContextFinding {
  readonly kind: 'shared-context-missing' | 'shared-context-foreign' | 'shared-context-mismatch';
  /** Log index of the decision record. */
  readonly index: number;
  readonly message: string;
}

type Decision = Pick<DecisionEvent, 'kind' | 'taskId' | 'correlationId'> & {
  readonly decision: DecisionRecord;
};

const isDecision = (record: unknown): record is Decision =>
  typeof record === 'object' &&
  record !== null &&
  (record as { kind?: unknown }).kind === 'decision' &&
  typeof (record as { decision?: unknown }).decision === 'object' &&
  (record as { decision?: unknown }).decision !== null;

/** Why `value` cannot be the shared part of `record`'s task, or `undefined` when it can. */
function foreignTo(record: Decision, value: SharedContextValue): string | undefined {
  const context = value.context as { taskId?: unknown; correlationId?: unknown };
  if ('taskId' in context && context.taskId !== record.taskId) return `task ${String(context.taskId)}`;
  if ('correlationId' in context && context.correlationId !== record.correlationId)
    return `correlation ${String(context.correlationId)}`;
  return undefined;
}

/** A decision record with its full evaluated context and no `sharedContext` (keys in canonical order). */
function resolvedDecision(stored: DecisionRecord, value: SharedContextValue): DecisionRecord {
  const fields = stored as unknown as Readonly<Record<string, unknown>>;
  const decision: Record<string, unknown> = {};
  for (const key of Object.keys(fields).sort()) {
    if (key === 'sharedContext') continue;
    decision[key] =
      key === 'evaluatedContext'
        ? joinEvaluatedContext((fields[key] ?? {}) as Readonly<Record<string, unknown>>, value)
        : fields[key];
  }
  if (!('evaluatedContext' in decision)) decision.evaluatedContext = joinEvaluatedContext({}, value);
  return decision as unknown as DecisionRecord;
}

/**
 * What reads a log's shared contexts, record by record: {@link SharedContextReader.hold} every record
 * first (or as it comes, for a reader that resolves only what was held before), then
 * {@link SharedContextReader.resolve}. {@link resolveSharedContexts} does both over a list.
 *
 * @example
 * ```ts
 * const reader: SharedContextReader = createSharedContextReader();
 * for (const [index, record] of stored.entries()) reader.hold(index, record);
 * const { record, finding } = reader.resolve(7, stored[7]);
 * ```
 * @internal
 */
export interface SharedContextReader {
  /** Holds the shared context `record` carries, if it is a decision record carrying one; a bad one is a finding. */
  hold(index: number, record: unknown): SharedContextFinding | undefined;
  /** `record` with its evaluated context whole, or as stored with why it cannot be resolved. */
  resolve<R>(index: number, record: R): { readonly record: R; readonly finding?: SharedContextFinding };
}

/**
 * A {@link SharedContextReader} for one log.
 *
 * @example
 * ```ts
 * const reader = createSharedContextReader();
 * reader.hold(0, first); // the task's first decision record, holding the value
 * reader.resolve(2, second).record; // the second one, its evaluated context whole
 * ```
 * @internal
 */
export function createSharedContextReader(): SharedContextReader {
  const held = new Map<string, SharedContextValue>();
  const heldBy = new Map<string, string>();
  const bad = new Set<number>();
  return {
    hold(index, record) {
      if (!isDecision(record)) return undefined;
      const shared = record.decision.sharedContext;
      if (shared?.value === undefined) return undefined;
      const foreign = foreignTo(record, shared.value);
      if (digest(shared.value) !== shared.digest || foreign !== undefined) {
        bad.add(index);
        return {
          kind: 'shared-context-mismatch',
          index,
          message:
            foreign === undefined
              ? `the shared evaluated context it holds does not have the digest it names (${shared.digest})`
              : `the shared evaluated context it holds is of another ${foreign}, not of task ${record.taskId}`,
        };
      }
      const key = `${record.taskId}\n${shared.digest}`;
      if (!held.has(key)) held.set(key, shared.value);
      if (!heldBy.has(shared.digest)) heldBy.set(shared.digest, record.taskId);
      return undefined;
    },
    resolve(index, record) {
      if (!isDecision(record) || record.decision.sharedContext === undefined || bad.has(index))
        return { record };
      const { digest: ref } = record.decision.sharedContext;
      const value = held.get(`${record.taskId}\n${ref}`);
      if (value !== undefined)
        return { record: { ...record, decision: resolvedDecision(record.decision, value) } };
      const other = heldBy.get(ref);
      const finding: SharedContextFinding =
        other === undefined
          ? {
              kind: 'shared-context-missing',
              index,
              message: `its evaluated context refers to ${ref}, which no decision record of task ${record.taskId} in this log holds`,
            }
          : {
              kind: 'shared-context-foreign',
              index,
              message: `its evaluated context refers to ${ref}, held by task ${other}, not by its own task ${record.taskId}`,
            };
      return { record, finding };
    },
  };
}

/**
 * Resolves the shared contexts of a log's decision records (records of version 2): every record whose
 * `decision.sharedContext` a decision record of the same task holds gets its full `evaluatedContext`
 * back (and no `sharedContext`), exactly as the engine judged it; every other one is left as stored and
 * named in `findings`. Records without a shared context (version 1, or a request with nothing to share)
 * pass through untouched. The value is looked up in the record's own task only, anywhere in the log.
 *
 * @example
 * ```ts
 * const { records, findings } = resolveSharedContexts(events.map((e, index) => ({ index, record: e })));
 * for (const f of findings) console.error(`record ${f.index}: ${f.kind}: ${f.message}`);
 * ```
 */
export function resolveSharedContexts<T extends { readonly index: number; readonly record: unknown }>(
  entries: readonly T[],
): { readonly records: T[]; readonly findings: SharedContextFinding[] } {
  const reader = createSharedContextReader();
  const findings: SharedContextFinding[] = [];
  for (const { index, record } of entries) {
    const finding = reader.hold(index, record);
    if (finding !== undefined) findings.push(finding);
  }
  const records = entries.map((entry) => {
    const { record, finding } = reader.resolve(entry.index, entry.record);
    if (finding !== undefined) findings.push(finding);
    return record === entry.record ? entry : { ...entry, record };
  });
  findings.sort((a, b) => a.index - b.index);
  return { records, findings };
}

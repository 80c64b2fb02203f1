// What the pipeline remembers to write the shared part of a task's evaluated context once per log: per
// attribution (one task, forgotten with it) and audit sink, the digests its decision records carried.
import type { Attribution } from '../attribution.js';
import type { AuditEvent } from '../audit-event.js';
import type { AuthorizationRequest } from '../decision.js';
import type { AuditSink } from '../interfaces.js';
import { type SharedContextMemory, splitEvaluatedContext } from '../shared-context.js';

interface Memory extends SharedContextMemory {
  readonly sink: AuditSink | undefined;
}

const memories = new WeakMap<Attribution, Memory>();
/** Shared contexts written with their value, to their memory: a failed append un-writes them. */
const carrying = new WeakMap<object, Memory>();

/** A decision record's evaluated context, split (see {@link splitForRecord}). */
export type SplitRecord = ReturnType<typeof splitEvaluatedContext>;

/**
 * The evaluated context of a task's decision record, split ({@link splitEvaluatedContext}): the value of
 * the shared part the first time this task writes it to `sink`, its digest after that.
 */
export function splitForRecord(
  attribution: Attribution,
  sink: AuditSink | undefined,
  request: AuthorizationRequest,
) {
  let memory = memories.get(attribution);
  if (memory === undefined || memory.sink !== sink) {
    memory = { sink, last: undefined, written: new Set() };
    memories.set(attribution, memory);
  }
  const split = splitEvaluatedContext(request, memory);
  if (split?.sharedContext.value !== undefined) carrying.set(split.sharedContext, memory);
  return split;
}

/** An append of `event` failed: if it carried a shared context's value, the next record carries it again. */
export function appendFailed(event: AuditEvent): void {
  const shared = event.kind === 'decision' ? event.decision.sharedContext : undefined;
  if (shared !== undefined) carrying.get(shared)?.written.delete(shared.digest);
}

import type { Attribution } from '../attribution.js';
import type { TaskState } from '../context.js';
import type { CallKey } from '../stores/call-ledger.js';
import { evictOldest } from '../stores/evict-oldest.js';
import type { ToolCall } from '../tool-call.js';
import type { ToolDefinition } from '../tool-definition.js';

// What `check` worked out about a call it allowed or asked approval for, kept in this process for the
// `run` of the same call (same task, tool and tool call id) so that `run` does not do it again: the
// arguments' digests (canonical JSON + SHA-256), the ledger key, the private copy, the schema validation,
// the resource. `run` takes it only for the arguments `check` judged: those it is given are compared,
// member by member, with the frozen private copy `check` took of its own (a mutated or other object that
// differs in any member, or one holding anything but plain data, is worked out afresh: other digest, other
// ledger binding, decided afresh). Whatever `run` is given, the tool gets the arguments `check` validated.
// Nothing here decides: the decision still comes from the call ledger, claimed under the key.

/** The part of a checked call `run` reuses. */
export interface CheckedCall {
  readonly def: ToolDefinition;
  /** Who asked (the ledger binding's task, requester and acting agent come from it). */
  readonly attribution: Attribution;
  /** A frozen private copy of the arguments `check` was given (what `run`'s arguments must equal). */
  readonly snapshot: unknown;
  readonly rawDigest: string;
  readonly key: CallKey;
  /** The call as 1-validate left it: frozen arguments, their digest, resource, classification. */
  readonly call: ToolCall;
}

/** Checked calls kept per task, at most (the oldest go first): approvals that never come back. */
const MAX_PER_TASK = 1_024;

interface Checked {
  readonly calls: Map<string, CheckedCall>;
  readonly evict: (max: number) => void;
}

/** Per task: a task's checked calls end with it. */
const byTask = new WeakMap<TaskState, Checked>();

const slot = (def: ToolDefinition, callId: string) => `${def.name}\u0000${callId}`;

/** Keeps what `check` worked out for the `run` of the same call in the same task. */
export function keepChecked(task: TaskState, checked: CheckedCall): void {
  let kept = byTask.get(task);
  if (kept === undefined) {
    const calls = new Map<string, CheckedCall>();
    kept = { calls, evict: evictOldest(calls) };
    byTask.set(task, kept);
  }
  const at = slot(checked.def, checked.key.callId);
  kept.calls.delete(at);
  kept.calls.set(at, checked);
  kept.evict(MAX_PER_TASK);
}

/**
 * Takes (once) what `check` worked out for this call, when `rawArgs` are the arguments it judged:
 * `undefined` otherwise, and the run works everything out itself.
 */
export function takeChecked(
  task: TaskState,
  def: ToolDefinition,
  callId: string,
  rawArgs: unknown,
): CheckedCall | undefined {
  const kept = byTask.get(task);
  if (kept === undefined) return undefined;
  const at = slot(def, callId);
  const checked = kept.calls.get(at);
  if (checked === undefined) return undefined;
  kept.calls.delete(at);
  return checked.def === def &&
    checked.attribution === task.attribution &&
    sameData(rawArgs, checked.snapshot, 0)
    ? checked
    : undefined;
}

/** Deeper nesting is not compared (worked out afresh), as the private copy refuses it. */
const MAX_DEPTH = 256;

/**
 * Whether `value` holds exactly what the frozen private copy `snapshot` holds: the same primitives
 * (`Object.is`), arrays of the same length, plain objects with the same own enumerable string keys.
 * Anything else (Date, Map, class instances, functions, a `toJSON` of its own) is not compared: `false`.
 * Stricter than equal canonical JSON (an `undefined` member or `-0` differ), never looser.
 */
export function sameData(value: unknown, snapshot: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return Object.is(value, snapshot);
  if (typeof snapshot !== 'object' || snapshot === null || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(snapshot) || value.length !== snapshot.length) return false;
    for (let i = 0; i < value.length; i++) {
      if (!sameData(value[i], snapshot[i], depth + 1)) return false;
    }
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  if (Array.isArray(snapshot)) return false;
  const keys = Object.keys(value);
  if (keys.length !== Object.keys(snapshot).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(snapshot, key)) return false;
    const member = (value as Record<string, unknown>)[key];
    if (typeof member === 'function') return false;
    if (!sameData(member, (snapshot as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

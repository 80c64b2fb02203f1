// The fields every record shares (task, chain, requester, id, time, trace…) and how a record's own fields
// are merged with them: in canonical (sorted) key order, in one object, so records serialise on
// canonicalJson's fast path. records.ts builds every record kind on this.
import type { Span } from '@opentelemetry/api';
import type { Attribution } from '../attribution.js';
import type { AuditEvent, AuditEventBase } from '../audit-event.js';
import { AUDIT_EVENT_VERSION } from '../audit-event.js';
import { ascending, fixedValue } from '../canonical-json.js';
import type { Config } from '../config.js';
import { toPrincipalRef } from '../principal.js';

/** The principal references of an attribution, built once per attribution (every record repeats them). */
const refs = new WeakMap<Attribution, Pick<AuditEventBase, 'requester' | 'chain'>>();

/** The requester and chain of an attribution as records carry them (frozen, shared by its records). */
export function principalRefs(attribution: Attribution): Pick<AuditEventBase, 'requester' | 'chain'> {
  let found = refs.get(attribution);
  if (found === undefined) {
    // fixed: a record's snapshot shares them instead of copying them (see fixedValue)
    found = {
      requester:
        attribution.requester === undefined
          ? null
          : fixedValue(Object.freeze(toPrincipalRef(attribution.requester))),
      chain: fixedValue(Object.freeze(attribution.chain.map((p) => Object.freeze(toPrincipalRef(p))))),
    };
    refs.set(attribution, found);
  }
  return found;
}

/** The ISO time of the last record's millisecond: records of one burst share it (no Date per record). */
let lastTime = { ms: Number.NaN, iso: '' };

function isoTime(ms: number): string {
  if (ms !== lastTime.ms) lastTime = { ms, iso: new Date(ms).toISOString() };
  return lastTime.iso;
}

/** Copies `own`'s members named `names[j…]` that sort before `before` into `event`; the next `j`. */
function ownBefore(
  event: Record<string, unknown>,
  own: Readonly<Record<string, unknown>>,
  names: readonly string[],
  j: number,
  before: string,
): number {
  for (; j < names.length; j++) {
    const name = names[j] as string;
    if (name >= before) break;
    const value = own[name];
    if (value !== undefined) event[name] = value;
  }
  return j;
}

/**
 * An audit event: the common fields (from the attribution and, optionally, the span it belongs to) and
 * the event's own `fields`, merged in key order (`undefined` left out) in one object. The common fields
 * are written in their sorted order below; the fields never repeat one of them.
 */
export function auditEvent<F extends { readonly kind: AuditEvent['kind'] }>(
  config: Config,
  attribution: Attribution,
  span: Span | undefined,
  fields: F,
): AuditEventBase & F {
  const spanContext = span?.spanContext();
  const traced = spanContext !== undefined && spanContext.traceId !== '00000000000000000000000000000000';
  const { requester, chain } = principalRefs(attribution);
  const own = fields as unknown as Readonly<Record<string, unknown>>;
  const names = Object.keys(own);
  if (!ascending(names)) names.sort();
  const event: Record<string, unknown> = {};
  let j = ownBefore(event, own, names, 0, 'autonomous');
  event.autonomous = attribution.autonomous;
  j = ownBefore(event, own, names, j, 'chain');
  event.chain = chain;
  if (attribution.conversationId !== undefined) {
    j = ownBefore(event, own, names, j, 'conversationId');
    event.conversationId = attribution.conversationId;
  }
  j = ownBefore(event, own, names, j, 'correlationId');
  event.correlationId = attribution.correlationId;
  j = ownBefore(event, own, names, j, 'id');
  event.id = config.generateId();
  if (attribution.intent !== undefined) {
    j = ownBefore(event, own, names, j, 'intent');
    event.intent = attribution.intent;
  }
  if (attribution.parentTaskId !== undefined) {
    j = ownBefore(event, own, names, j, 'parentTaskId');
    event.parentTaskId = attribution.parentTaskId;
  }
  j = ownBefore(event, own, names, j, 'requester');
  event.requester = requester;
  j = ownBefore(event, own, names, j, 'service');
  event.service = config.service;
  if (traced) {
    j = ownBefore(event, own, names, j, 'spanId');
    event.spanId = spanContext.spanId;
  }
  j = ownBefore(event, own, names, j, 'taskId');
  event.taskId = attribution.taskId;
  j = ownBefore(event, own, names, j, 'time');
  event.time = isoTime(config.clock());
  if (traced) {
    j = ownBefore(event, own, names, j, 'traceId');
    event.traceId = spanContext.traceId;
  }
  j = ownBefore(event, own, names, j, 'v');
  event.v = AUDIT_EVENT_VERSION;
  for (; j < names.length; j++) {
    const name = names[j] as string;
    const value = own[name];
    if (value !== undefined) event[name] = value;
  }
  return event as unknown as AuditEventBase & F;
}

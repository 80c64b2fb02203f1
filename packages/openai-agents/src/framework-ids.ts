import { getCurrentSpan, getCurrentTrace } from '@openai/agents';

/** The id the SDK gives traces and spans while its tracing is disabled. */
const NOOP_ID = 'no-op';

const usable = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id !== NOOP_ID;

/**
 * The Agents SDK's own tracing ids at this point of the run (`traceId`, `spanId`, and `groupId` when the
 * run set one), recorded as `call.framework.ids` so a Writ record can be found in the SDK's traces
 * dashboard and back. `undefined` when SDK tracing is off (its no-op trace has no real ids).
 * @internal
 */
export function sdkTraceIds(): Readonly<Record<string, string>> | undefined {
  const ids: Record<string, string> = {};
  const trace = getCurrentTrace();
  const span = getCurrentSpan();
  if (usable(trace?.traceId)) ids.traceId = trace.traceId;
  else if (usable(span?.traceId)) ids.traceId = span.traceId;
  if (usable(span?.spanId)) ids.spanId = span.spanId;
  if (usable(trace?.groupId)) ids.groupId = trace.groupId;
  return Object.keys(ids).length === 0 ? undefined : ids;
}

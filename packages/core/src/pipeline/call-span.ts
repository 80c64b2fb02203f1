import {
  type Context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { type Attribution, authorityChain, currentActor } from '../attribution.js';
import type { Config } from '../config.js';
import type { Decision } from '../decision.js';
import { ATTR, EXECUTE_TOOL } from '../telemetry.js';
import type { ToolDefinition } from '../tool-definition.js';

/** Spans Writ started itself; never enriched as if they were a framework's. */
const ownSpans = new WeakSet<Span>();

/** A span that records nothing, for work done outside any call span (`check` deciding ahead). */
export const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The `execute_tool` span of a call: the framework's own (enriched), or one Writ starts. */
export interface CallSpan {
  readonly span: Span;
  /** The context to run the call in (with Writ's span active when it started one). */
  readonly context: Context;
  /** The call id: the framework's when it gave one (argument or its span), else generated. */
  readonly callId: string;
  /** Whether Writ started the span (and so ends it). */
  readonly owned: boolean;
}

/**
 * Starts (or finds) the span of a call. A framework's `execute_tool` span for the same tool and call is
 * enriched with Writ's attributes instead of nesting a duplicate under it.
 */
export function startCallSpan(
  config: Config,
  parent: Context,
  def: ToolDefinition,
  attribution: Attribution,
  options: { readonly span?: Span | undefined; readonly toolCallId?: string | undefined },
): CallSpan {
  const enriched = options.span ?? frameworkSpan(parent, def.name, options.toolCallId);
  // gen_ai.tool.call.id is the model's id for the call: set only when the framework gave one
  const given = options.toolCallId ?? (enriched ? frameworkCallId(enriched) : undefined);
  const callId = given ?? config.generateId();
  const attributes = startAttributes(config, def, callId, given !== undefined, attribution);
  if (enriched) {
    enriched.setAttributes(attributes);
    return { span: enriched, context: parent, callId, owned: false };
  }
  const span = config.tracer.startSpan(
    `${EXECUTE_TOOL} ${def.name}`,
    { kind: SpanKind.INTERNAL, attributes },
    parent,
  );
  ownSpans.add(span);
  return { span, context: trace.setSpan(parent, span), callId, owned: true };
}

/** Marks a span failed with an error code (`error.type`) and message. */
export function markError(span: Span, code: string, error: unknown): void {
  span.setAttribute(ATTR.ERROR_TYPE, code);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The decision's attributes on the call's span. */
export function setDecisionAttributes(span: Span, decision: Decision): void {
  span.setAttribute(ATTR.WRIT_POLICY_EFFECT, decision.effect);
  span.setAttribute(ATTR.WRIT_POLICY_DECISION_ID, decision.decisionId);
  span.setAttribute(ATTR.WRIT_POLICY_IDS, [...decision.policyIds]);
  span.setAttribute(ATTR.WRIT_POLICY_ENGINE, decision.engine);
}

function startAttributes(
  config: Config,
  def: ToolDefinition,
  callId: string,
  fromModel: boolean,
  attribution: Attribution,
) {
  const actor = currentActor(attribution);
  const attributes: Record<string, string | boolean | string[]> = {
    [ATTR.GEN_AI_OPERATION_NAME]: EXECUTE_TOOL,
    [ATTR.GEN_AI_TOOL_NAME]: def.name,
    [ATTR.WRIT_CALL_ID]: callId,
    [ATTR.GEN_AI_TOOL_TYPE]: def.type,
    [ATTR.GEN_AI_AGENT_NAME]: actor.name ?? actor.id,
    [ATTR.WRIT_TASK_ID]: attribution.taskId,
    [ATTR.WRIT_CORRELATION_ID]: attribution.correlationId,
    [ATTR.WRIT_AGENT_ID]: actor.id,
    [ATTR.WRIT_CHAIN]: authorityChain(attribution),
    [ATTR.WRIT_AUTONOMOUS]: attribution.autonomous,
  };
  if (fromModel) attributes[ATTR.GEN_AI_TOOL_CALL_ID] = callId;
  if (def.description !== undefined) attributes[ATTR.GEN_AI_TOOL_DESCRIPTION] = def.description;
  if (attribution.conversationId !== undefined)
    attributes[ATTR.GEN_AI_CONVERSATION_ID] = attribution.conversationId;
  if (config.telemetry.recordEndUser && attribution.requester !== undefined)
    attributes[ATTR.ENDUSER_ID] = attribution.requester.id;
  return attributes;
}

interface ReadableSpanLike {
  readonly name?: unknown;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** The framework's `execute_tool` span for this call, if one is active (SDK spans expose name and attributes). */
function frameworkSpan(ctx: Context, toolName: string, callId: string | undefined): Span | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined || ownSpans.has(span) || !span.isRecording()) return undefined;
  const readable = span as unknown as ReadableSpanLike;
  const attributes = readable.attributes ?? {};
  const isTool =
    readable.name === `${EXECUTE_TOOL} ${toolName}` ||
    (attributes[ATTR.GEN_AI_OPERATION_NAME] === EXECUTE_TOOL &&
      attributes[ATTR.GEN_AI_TOOL_NAME] === toolName);
  if (!isTool) return undefined;
  const other = attributes[ATTR.GEN_AI_TOOL_CALL_ID];
  if (callId !== undefined && typeof other === 'string' && other !== callId) return undefined;
  return span;
}

function frameworkCallId(span: Span): string | undefined {
  const id = (span as unknown as ReadableSpanLike).attributes?.[ATTR.GEN_AI_TOOL_CALL_ID];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

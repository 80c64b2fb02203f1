import { isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/**
 * Span attribute names Writ sets. GenAI names follow the OpenTelemetry GenAI semantic conventions;
 * `writ.*` names are Writ's own.
 *
 * @example
 * ```ts
 * // in a test, with an in-memory span exporter
 * const denied = exporter.getFinishedSpans().filter((span) => span.attributes[ATTR.WRIT_POLICY_EFFECT] === 'deny');
 * denied.map((span) => span.attributes[ATTR.GEN_AI_TOOL_NAME]); // e.g. ['delete_customer']
 * ```
 */
export const ATTR = {
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_TOOL_CALL_ID: 'gen_ai.tool.call.id',
  GEN_AI_TOOL_TYPE: 'gen_ai.tool.type',
  GEN_AI_TOOL_DESCRIPTION: 'gen_ai.tool.description',
  GEN_AI_TOOL_CALL_ARGUMENTS: 'gen_ai.tool.call.arguments',
  GEN_AI_TOOL_CALL_RESULT: 'gen_ai.tool.call.result',
  GEN_AI_AGENT_NAME: 'gen_ai.agent.name',
  GEN_AI_CONVERSATION_ID: 'gen_ai.conversation.id',
  ENDUSER_ID: 'enduser.id',
  ERROR_TYPE: 'error.type',
  WRIT_TASK_ID: 'writ.task.id',
  /** The call id in Writ's records: the framework's tool call id, or one Writ generated when there is none. */
  WRIT_CALL_ID: 'writ.call.id',
  WRIT_CORRELATION_ID: 'writ.correlation_id',
  WRIT_AGENT_ID: 'writ.agent.id',
  WRIT_CHAIN: 'writ.chain',
  WRIT_AUTONOMOUS: 'writ.autonomous',
  WRIT_POLICY_EFFECT: 'writ.policy.effect',
  WRIT_POLICY_DECISION_ID: 'writ.policy.decision_id',
  WRIT_POLICY_IDS: 'writ.policy.ids',
  WRIT_POLICY_ENGINE: 'writ.policy.engine',
  WRIT_APPROVAL_APPROVER: 'writ.approval.approver',
  WRIT_CREDENTIAL_JTI: 'writ.credential.jti',
  WRIT_AUDIT_INDEX: 'writ.audit.index',
  WRIT_SCOPE_IN_SCOPE: 'writ.scope.in_scope',
  WRIT_OUTCOME: 'writ.outcome',
} as const;

/**
 * The `gen_ai.operation.name` of tool spans, and the span name prefix.
 *
 * @example
 * ```ts
 * const toolSpans = exporter.getFinishedSpans().filter((span) => span.name.startsWith(`${EXECUTE_TOOL} `)); // 'execute_tool lookup_order'
 * ```
 */
export const EXECUTE_TOOL = 'execute_tool';

/**
 * The span id of a span context when it belongs to a real trace (not the all-zero id of a non-recording
 * context), else `undefined`.
 *
 * @example
 * ```ts
 * validSpanId(trace.getActiveSpan()?.spanContext()); // '5f0c2a1b9d8e7f60', or undefined outside a trace
 * ```
 */
export function validSpanId(context: SpanContext | undefined): string | undefined {
  return context !== undefined && isSpanContextValid(context) ? context.spanId : undefined;
}

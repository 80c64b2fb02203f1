import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setupTracing, type Tracing } from '../__support__/otel.js';
import { createConfig } from '../config.js';
import { ATTR } from '../telemetry.js';
import { defineTool } from '../tool-definition.js';
import { ALICE_ATTRIBUTION } from './__support__/call-run.js';
import { markError, startCallSpan } from './call-span.js';

let tracing: Tracing;
const config = () => createConfig({ telemetry: { tracer: tracing.tracer } });
const def = defineTool({ name: 'lookup_order', description: 'Find an order' }, 'test');

describe('the call span', () => {
  beforeAll(() => {
    tracing = setupTracing();
  });
  beforeEach(() => tracing.exporter.reset());
  afterAll(() => tracing.shutdown());

  it('starts execute_tool {name} with the GenAI and Writ attributes, and a generated call id', () => {
    const s = startCallSpan(config(), ROOT_CONTEXT, def, ALICE_ATTRIBUTION, {});
    s.span.end();
    expect(s.owned).toBe(true);
    const [span] = tracing.exporter.getFinishedSpans();
    expect(span?.name).toBe('execute_tool lookup_order');
    expect(span?.attributes).toMatchObject({
      [ATTR.GEN_AI_OPERATION_NAME]: 'execute_tool',
      [ATTR.GEN_AI_TOOL_NAME]: 'lookup_order',
      [ATTR.WRIT_CALL_ID]: s.callId,
      [ATTR.GEN_AI_TOOL_DESCRIPTION]: 'Find an order',
      [ATTR.WRIT_TASK_ID]: 'task-1',
      [ATTR.ENDUSER_ID]: 'alice@example.com',
      [ATTR.WRIT_CHAIN]: ['alice@example.com', 'spiffe://writ.local/agent/support'],
    });
    // no model gave an id: gen_ai.tool.call.id is left out (Writ's own id is writ.call.id)
    expect(span?.attributes).not.toHaveProperty(ATTR.GEN_AI_TOOL_CALL_ID);
    expect(trace.getSpan(s.context)).toBe(s.span);
  });

  it("enriches the framework's own execute_tool span for the same call instead of nesting a duplicate", () => {
    const framework = tracing.tracer.startSpan('execute_tool lookup_order', {
      attributes: { [ATTR.GEN_AI_TOOL_CALL_ID]: 'call_9' },
    });
    const parent = trace.setSpan(ROOT_CONTEXT, framework);
    const s = startCallSpan(config(), parent, def, ALICE_ATTRIBUTION, {});
    expect(s.owned).toBe(false);
    expect(s.span).toBe(framework);
    expect(s.callId).toBe('call_9');
    // another call's span (other id) is not enriched
    const other = startCallSpan(config(), parent, def, ALICE_ATTRIBUTION, { toolCallId: 'call_10' });
    expect(other.owned).toBe(true);
    other.span.end();
    framework.end();
    expect(
      tracing.exporter
        .getFinishedSpans()
        .find(
          (sp) =>
            sp.name === 'execute_tool lookup_order' &&
            sp.attributes[ATTR.WRIT_TASK_ID] === 'task-1' &&
            sp.attributes[ATTR.GEN_AI_TOOL_CALL_ID] === 'call_9',
        ),
    ).toBeDefined();
  });

  it('markError sets error.type and an ERROR status', () => {
    const s = startCallSpan(config(), ROOT_CONTEXT, def, ALICE_ATTRIBUTION, {});
    markError(s.span, 'WRIT_POLICY_DENIED', new Error('denied'));
    s.span.end();
    const [span] = tracing.exporter.getFinishedSpans();
    expect(span?.attributes[ATTR.ERROR_TYPE]).toBe('WRIT_POLICY_DENIED');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'denied' });
  });
});

/**
 * `@writ/otel/testing`: in-memory tracing for tests (a real OpenTelemetry SDK provider whose finished
 * spans are kept in memory, with W3C trace context and baggage propagation registered).
 * @packageDocumentation
 * @module @writ/otel/testing
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/**
 * In-memory tracing for tests: a real SDK provider, finished spans kept in memory.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, expect, it } from 'vitest';
 *
 * let tracing: TestTracing;
 * beforeEach(() => {
 *   tracing = startTestTracing();
 * });
 * afterEach(() => tracing.shutdown());
 *
 * it('puts the tool span under the agent span', async () => {
 *   await tracing.tracer.startActiveSpan('invoke_agent support-bot', async (span) => {
 *     await lookup.execute({ orderId: '42' });
 *     span.end();
 *   });
 *   expect(tracing.tree()).toBe('invoke_agent support-bot\n  execute_tool lookup_order');
 * });
 * ```
 */
export interface TestTracing {
  readonly exporter: InMemorySpanExporter;
  /** The SDK tracer provider (`@opentelemetry/sdk-trace`), registered globally. */
  readonly provider: TracerProvider;
  /** A tracer of the provider (also registered globally). */
  readonly tracer: ReturnType<TracerProvider['getTracer']>;
  /** Every finished span, in end order. */
  spans(): ReadableSpan[];
  /** Finished `execute_tool …` spans. */
  toolSpans(): ReadableSpan[];
  /** The finished parent of a span, if it was recorded here. */
  parentOf(span: ReadableSpan): ReadableSpan | undefined;
  /** Span names as an indented tree (children under parents, in start order): handy in assertions. */
  tree(): string;
  /** Shuts the provider down and unregisters the globals. */
  shutdown(): Promise<void>;
}

/**
 * Registers a real OpenTelemetry tracer provider with an in-memory exporter, the AsyncLocalStorage
 * context manager and (by default) W3C trace context + baggage propagators, as a production NodeSDK
 * setup would, so tests can assert on the spans Writ and the agent framework emit.
 *
 * @example
 * ```ts
 * const tracing = startTestTracing();
 * await runAgent();
 * expect(tracing.toolSpans().map((s) => s.attributes['writ.policy.effect'])).toEqual(['allow', 'deny']);
 * await tracing.shutdown();
 * ```
 */
export function startTestTracing(options: { propagators?: boolean } = {}): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  if (options.propagators !== false) {
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
  }
  const spans = () => exporter.getFinishedSpans();
  const parentOf = (span: ReadableSpan) => {
    const parentId = span.parentSpanContext?.spanId;
    return parentId === undefined
      ? undefined
      : spans().find(
          (s) =>
            s.spanContext().spanId === parentId && s.spanContext().traceId === span.spanContext().traceId,
        );
  };
  return {
    exporter,
    provider,
    tracer: provider.getTracer('writ-test'),
    spans,
    toolSpans: () => spans().filter((s) => s.name.startsWith('execute_tool ')),
    parentOf,
    tree() {
      const all = [...spans()].sort((a, b) => hr(a.startTime) - hr(b.startTime));
      const ids = new Set(all.map((s) => s.spanContext().spanId));
      const lines: string[] = [];
      const walk = (parent: string | undefined, depth: number) => {
        for (const s of all) {
          const p = s.parentSpanContext?.spanId;
          const isChild = parent === undefined ? p === undefined || !ids.has(p) : p === parent;
          if (!isChild) continue;
          lines.push(`${'  '.repeat(depth)}${s.name}`);
          walk(s.spanContext().spanId, depth + 1);
        }
      };
      walk(undefined, 0);
      return lines.join('\n');
    },
    async shutdown() {
      await provider.shutdown();
      context.disable();
      propagation.disable();
      trace.disable();
    },
  };
}

const hr = (t: [number, number]) => t[0] * 1e9 + t[1];

// Test support: a real OpenTelemetry SDK tracer with an in-memory exporter and the AsyncLocalStorage
// context manager, as a user's NodeSDK setup would have.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  readonly exporter: InMemorySpanExporter;
  readonly provider: BasicTracerProvider;
  readonly tracer: ReturnType<BasicTracerProvider['getTracer']>;
  spans(): ReadableSpan[];
  toolSpans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

export function setupTracing(options: { propagators?: boolean } = {}): Tracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  if (options.propagators) {
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
  }
  return {
    exporter,
    provider,
    tracer: provider.getTracer('writ-test'),
    spans: () => exporter.getFinishedSpans(),
    toolSpans: () => exporter.getFinishedSpans().filter((s) => s.name.startsWith('execute_tool ')),
    async shutdown() {
      await provider.shutdown();
      context.disable();
      propagation.disable();
      trace.disable();
    },
  };
}

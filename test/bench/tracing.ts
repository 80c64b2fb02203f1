// A real OpenTelemetry SDK tracer whose processor does the least an exporter-backed one would: it counts
// ended spans and drops them. Registered globally together with the AsyncLocalStorage context manager,
// as a Node service with an OTel SDK has them, so Writ and the baselines pay the same context costs.
import { context, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A span processor that only counts: the floor of what any exporter pipeline costs. */
export class CountingSpanProcessor implements SpanProcessor {
  started = 0;
  ended = 0;

  onStart(): void {
    this.started++;
  }

  onEnd(_span: ReadableSpan): void {
    this.ended++;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The tracing set-up shared by every scenario. */
export interface BenchTracing {
  readonly tracer: Tracer;
  readonly processor: CountingSpanProcessor;
  shutdown(): Promise<void>;
}

/** Registers the context manager and a `BasicTracerProvider` (always-on sampling) globally. */
export function setUpTracing(): BenchTracing {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  const processor = new CountingSpanProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: provider.getTracer('writ-bench'),
    processor,
    async shutdown() {
      await provider.shutdown();
      manager.disable();
    },
  };
}

// Type-checked (tsc) in each scratch project against that project's OpenTelemetry line: @writ/otel's
// declarations must accept the application's own SDK objects and hand back its tracer provider type.
import { InMemorySpanExporter, SimpleSpanProcessor, type TracerProvider } from '@opentelemetry/sdk-trace';
import { startWritTelemetry, type WritTelemetry } from '@writ/otel';

const memory = new InMemorySpanExporter();
const telemetry: WritTelemetry = await startWritTelemetry({
  serviceName: 'consumer',
  exporter: memory,
  spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
});
const provider: TracerProvider | undefined = telemetry.tracerProvider;
await provider?.forceFlush();
await telemetry.shutdown();

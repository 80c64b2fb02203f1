import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './environment.js';

/**
 * The OpenTelemetry OTLP trace exporter for `protocol`: `@opentelemetry/exporter-trace-otlp-proto`
 * (http/protobuf), `-http` (http/json) or `-grpc` (grpc). Each reads `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`,
 * `_HEADERS`, `_TIMEOUT`, `_COMPRESSION` and the certificate variables itself, with the specification's
 * endpoint rules (`/v1/traces` appended to the generic OTLP/HTTP endpoint only). Only the chosen one is
 * loaded: a process that does not export over gRPC never loads the gRPC exporter through the preset.
 */
export async function createOtlpTraceExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  switch (protocol) {
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter();
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter();
    }
    case 'grpc': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter();
    }
  }
}

// Test support: OTLP trace receivers on 127.0.0.1 that decode what an exporter sends, by the published OTLP
// schema: the protobufjs code the OpenTelemetry project generated from opentelemetry-proto and published in
// @opentelemetry/otlp-transformer 0.216 (devDependency `otlp-schema`). OTLP/HTTP with protobuf or JSON bodies,
// and OTLP/gRPC (grpc-js server for TraceService/Export). Every export is reduced to one plain shape, so a
// test states the same expectations whatever the protocol.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { type ReceivedRequest, type Respond, startLoopback } from './loopback.js';

/** A generated protobufjs message class (static codec). */
interface MessageClass {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  toObject(
    message: object,
    options: { longs: StringConstructor; enums: NumberConstructor },
  ): Record<string, unknown>;
}

/** An attribute value as OTLP carries it, reduced to plain JavaScript (int64 as number). */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export interface ExportedSpan {
  readonly name: string;
  /** Lower-case hex, as `spanContext().traceId`. */
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  /** OTLP `SpanKind` number (1 internal, 2 server, 3 client, …). */
  readonly kind: number;
  readonly attributes: Record<string, Value>;
  readonly scope: string;
}

export interface Export {
  readonly resource: Record<string, Value>;
  readonly spans: ExportedSpan[];
}

function schema() {
  const require = createRequire(import.meta.url);
  const root = require('otlp-schema/build/src/generated/root.js') as {
    opentelemetry: { proto: { collector: { trace: { v1: Record<string, MessageClass | undefined> } } } };
  };
  const v1 = root.opentelemetry.proto.collector.trace.v1;
  const request = v1.ExportTraceServiceRequest;
  const response = v1.ExportTraceServiceResponse;
  if (request === undefined || response === undefined)
    throw new Error('the OTLP schema has no trace export messages');
  // the gRPC method of the OTLP specification (opentelemetry-proto trace_service.proto: TraceService.Export)
  return { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', request, response };
}

const OTLP = schema();

interface AnyValueMessage {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueMessage[] };
  kvlistValue?: { values?: KeyValueMessage[] };
  bytesValue?: string;
}
interface KeyValueMessage {
  key: string;
  value?: AnyValueMessage;
}
interface RequestMessage {
  resourceSpans?: {
    resource?: { attributes?: KeyValueMessage[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        name?: string;
        traceId?: string;
        spanId?: string;
        parentSpanId?: string;
        kind?: number;
        attributes?: KeyValueMessage[];
      }[];
    }[];
  }[];
}

function value(v: AnyValueMessage | undefined): Value {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  if (v.kvlistValue !== undefined) return attributes(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

function attributes(list: KeyValueMessage[] | undefined): Record<string, Value> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

/** One export request, in the OTLP JSON mapping (ids as hex strings), reduced to {@link Export}s. */
function reduce(request: RequestMessage): Export[] {
  return (request.resourceSpans ?? []).map((rs) => ({
    resource: attributes(rs.resource?.attributes),
    spans: (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        name: s.name ?? '',
        traceId: s.traceId ?? '',
        spanId: s.spanId ?? '',
        parentSpanId: s.parentSpanId ?? '',
        kind: s.kind ?? 0,
        attributes: attributes(s.attributes),
        scope: ss.scope?.name ?? '',
      })),
    ),
  }));
}

/** A protobuf-decoded request as the JSON mapping: bytes ids become hex (protobufjs would give base64). */
function fromProtobuf(message: object): RequestMessage {
  const object = OTLP.request.toObject(message, { longs: String, enums: Number });
  const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : '');
  for (const rs of (object.resourceSpans ?? []) as RequestMessage['resourceSpans'] & object[]) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        span.parentSpanId = hex(span.parentSpanId);
      }
    }
  }
  return object as RequestMessage;
}

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Every request's content decoded by its `content-type` (protobuf or JSON). */
  exports(): Export[];
  close(): Promise<void>;
}

/** An OTLP/HTTP receiver: answers `200` with an empty `ExportTraceServiceResponse` in the request's encoding. */
export async function startHttpReceiver(respond?: Respond): Promise<HttpReceiver> {
  const ok: Respond = (request, response) => {
    const protobufBody = request.headers['content-type'] === 'application/x-protobuf';
    response.writeHead(200, { 'content-type': protobufBody ? 'application/x-protobuf' : 'application/json' });
    response.end(protobufBody ? OTLP.response.encode({}).finish() : '{}');
  };
  const loopback = await startLoopback(respond ?? ok);
  return {
    url: loopback.url,
    requests: loopback.requests,
    exports: () => loopback.requests.flatMap(decodeHttp),
    close: () => loopback.close(),
  };
}

/** Decodes one OTLP/HTTP request body; throws on a content type OTLP/HTTP does not define. */
export function decodeHttp(request: ReceivedRequest): Export[] {
  const type = request.headers['content-type'];
  if (type === 'application/x-protobuf') return reduce(fromProtobuf(OTLP.request.decode(request.body)));
  if (type === 'application/json') return reduce(JSON.parse(request.body.toString('utf8')) as RequestMessage);
  throw new Error(`not an OTLP/HTTP content type: ${type}`);
}

export interface GrpcCall {
  /** Request metadata (headers), lower-case keys. */
  readonly metadata: Record<string, string>;
  readonly exports: Export[];
}

export interface GrpcReceiver {
  /** `http://127.0.0.1:<port>` (plaintext HTTP/2) */
  readonly url: string;
  readonly calls: GrpcCall[];
  exports(): Export[];
  close(): Promise<void>;
}

/** An OTLP/gRPC receiver: a grpc-js server implementing `TraceService/Export` from the published schema. */
export async function startGrpcReceiver(): Promise<GrpcReceiver> {
  const calls: GrpcCall[] = [];
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    Export: {
      path: OTLP.path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message: object) => Buffer.from(OTLP.request.encode(message).finish()),
      requestDeserialize: (bytes: Buffer) => OTLP.request.decode(bytes),
      responseSerialize: (message: object) => Buffer.from(OTLP.response.encode(message).finish()),
      responseDeserialize: (bytes: Buffer) => OTLP.response.decode(bytes),
    },
  };
  server.addService(definition, {
    Export: (call: grpc.ServerUnaryCall<object, object>, done: grpc.sendUnaryData<object>) => {
      const metadata = Object.fromEntries(
        Object.entries(call.metadata.getMap()).map(([key, v]) => [key, String(v)]),
      );
      calls.push({ metadata, exports: reduce(fromProtobuf(call.request)) });
      done(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    exports: () => calls.flatMap((c) => c.exports),
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** Every span of some exports, flattened. */
export const spansOf = (exports: Export[]): ExportedSpan[] => exports.flatMap((e) => e.spans);

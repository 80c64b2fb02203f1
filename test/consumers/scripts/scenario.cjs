// One scenario, run from ESM (check.mjs) and from CommonJS (check.cjs) with the packages each loaded its own
// way: start the preset as an application does (configuration from OTEL_* variables), make one Writ tool
// call, shut down, and print what an OTLP/HTTP receiver on 127.0.0.1 got, as one JSON line.
const { createServer } = require('node:http');
const { readFileSync } = require('node:fs');

const version = (name) => {
  try {
    return JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;
  } catch {
    return undefined;
  }
};

module.exports = async function scenario({ createWrit, testing, startWritTelemetry, z }) {
  const received = [];
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url,
        contentType: request.headers['content-type'],
        body: Buffer.concat(chunks),
      });
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' });
      response.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= `http://127.0.0.1:${server.address().port}`;

  const result = {};
  try {
    const telemetry = await startWritTelemetry();
    result.exporters = telemetry.exporters;
    const writ = createWrit({
      service: 'consumer',
      policy: testing.createInMemoryPolicy({ fallback: 'allow' }),
      audit: testing.createInMemoryAuditSink(),
    });
    const ping = writ.tool({ name: 'ping', input: z.object({}), execute: async () => 'pong' });
    result.output = await ping.execute({});
    await telemetry.shutdown();
    result.requests = received.map((r) => ({
      path: r.path,
      contentType: r.contentType,
      // Span names and attribute keys travel as plain UTF-8 in protobuf and JSON bodies alike.
      toolSpan: r.body.includes('execute_tool ping') && r.body.includes('writ.policy.effect'),
    }));
  } catch (error) {
    result.refused = { code: error.code, message: error.message };
  }
  result.grpcLoaded = globalThis.__writLoaded.some((url) => url.includes('/@grpc/grpc-js/'));
  result.otel = {
    api: version('@opentelemetry/api'),
    sdkNode: version('@opentelemetry/sdk-node'),
    sdkTrace: version('@opentelemetry/sdk-trace'),
  };
  server.closeAllConnections();
  server.close();
  console.log(JSON.stringify(result));
};

// Test support: a stub HTTP server on loopback for answers a real PDP does not give on demand (5xx,
// garbage bodies, wrong metadata). Tests using it say "(stub PDP)" in their names.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stub answers. */
export interface StubAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

/** One request the stub received. */
export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json: unknown;
}

/** A running stub PDP. */
export interface StubPdp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: StubRequest[];
  /** Replaces how requests are answered. */
  answer(handler: (request: StubRequest) => StubAnswer): void;
  close(): Promise<void>;
}

/** Starts a stub PDP; by default it serves metadata naming itself and answers `{ decision: true }`. */
export async function startStubPdp(): Promise<StubPdp> {
  const requests: StubRequest[] = [];
  let url = '';
  let handler = (request: StubRequest): StubAnswer =>
    request.path === '/.well-known/authzen-configuration'
      ? {
          body: {
            policy_decision_point: url,
            access_evaluation_endpoint: `${url}/access/v1/evaluation`,
            access_evaluations_endpoint: `${url}/access/v1/evaluations`,
          },
        }
      : { body: { decision: true } };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body.length > 0 ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      requests.push(request);
      const answer = handler(request);
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    answer: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

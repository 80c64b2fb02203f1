import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WitnessResponse } from './witness.js';

/**
 * The HTTP face of a witness: `POST <prefix>/add-checkpoint` (C2SP tlog-witness), keep-alive, bodies
 * bounded.
 */

/** Largest request body accepted, bytes (a checkpoint note with 100 signatures and 63 proof lines fits). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A witness listening on HTTP.
 *
 * @example
 * ```ts
 * const server: WitnessServer = await witness.listen({ port: 0 });
 * console.log(server.url); // 'http://127.0.0.1:43117'
 * await server.close();
 * ```
 */
export interface WitnessServer {
  /** The submission prefix: POST `${url}/add-checkpoint`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `witness` over HTTP on `host` (default 127.0.0.1) and `port` (default 0: any free port).
 *
 * @example
 * ```ts
 * const server = await listenWitness(witness, { port: 7380 });
 * ```
 * @internal
 */
export async function listenWitness(
  witness: { addCheckpoint(body: string): Promise<WitnessResponse> },
  options: { port?: number; host?: string; prefix?: string } = {},
): Promise<WitnessServer> {
  const host = options.host ?? '127.0.0.1';
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const server = createServer((req, res) => {
    handle(witness, prefix, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}${prefix}`,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  witness: { addCheckpoint(body: string): Promise<WitnessResponse> },
  prefix: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== `${prefix}/add-checkpoint`) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return send(res, 405, 'text/plain; charset=utf-8', 'use POST\n');
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) {
      res.setHeader('Connection', 'close');
      return send(res, 413, 'text/plain; charset=utf-8', 'request body too large\n');
    }
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let decoded: string;
  try {
    decoded = text.decode(body);
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'the body is not UTF-8\n');
  }
  const answer = await witness.addCheckpoint(decoded);
  send(res, answer.status, answer.contentType, answer.body);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// Test support: an HTTP server on 127.0.0.1 that answers what the test scripts (answers a real OP never
// gives) and records what it was sent. Test-only.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** One request as the server read it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The body read as a form. */
  readonly form: URLSearchParams;
}

/** What the server answers next (and until told otherwise). */
export interface Script {
  status: number;
  body?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** Never answer (for timeouts). */
  hang?: boolean | undefined;
}

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly seen: SeenRequest[];
  script: Script;
  /** Answers `status` with `body` as JSON text (`content-type: application/json`). */
  answer(status: number, body?: unknown, headers?: Record<string, string>): void;
  /** Forgets what was seen and answers 200 with no body again. */
  reset(): void;
  close(): Promise<void>;
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        form: new URLSearchParams(text),
      });
      if (scripted.script.hang === true) return;
      res.writeHead(scripted.script.status, scripted.script.headers);
      res.end(scripted.script.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scripted: ScriptedServer = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    script: { status: 200 },
    answer(status, body, headers) {
      scripted.script = {
        status,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...headers },
      };
    },
    reset() {
      seen.length = 0;
      scripted.script = { status: 200 };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return scripted;
}

/**
 * A scripted server for the test file: started before its tests, reset before each, closed after them.
 * Read `base` and `seen`, set `script` or call `answer` inside tests.
 */
export function useScriptedServer(): Omit<ScriptedServer, 'reset' | 'close'> {
  let server: ScriptedServer | undefined;
  const current = (): ScriptedServer => {
    if (server === undefined) throw new Error('the scripted server starts in beforeAll');
    return server;
  };
  beforeAll(async () => {
    server = await startScriptedServer();
  });
  afterAll(() => server?.close());
  beforeEach(() => server?.reset());
  return {
    get base() {
      return current().base;
    },
    get seen() {
      return current().seen;
    },
    get script() {
      return current().script;
    },
    set script(next) {
      current().script = next;
    },
    answer: (status, body, headers) => current().answer(status, body, headers),
  };
}

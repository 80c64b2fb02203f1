// A real Cerbos PDP (npm `@cerbos/cerbos-linux-x64`) on loopback for the AuthZEN scenarios, started the
// way packages/policy/src/authzen/__support__/cerbos.ts starts it for the tests: generated config,
// HTTP (AuthZEN) on a free 127.0.0.1 port, gRPC on a unix socket, disk policies in a temp dir,
// telemetry off. Its policy allows agents to call `lookup_order` on orders.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AuthorizationRequest } from '@writ/core';

const ORDER_POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: Order
  rules:
    - name: agents-look-up-orders
      actions: ["lookup_order"]
      effect: EFFECT_ALLOW
      roles: ["agent"]
`;

/** A running Cerbos. */
export interface Cerbos {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** How long it took to answer its health check, ms. */
  readonly startMs: number;
  close(): Promise<void>;
}

/** The Cerbos binary, or `undefined` when the platform package is not installed. */
export function cerbosBinary(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@cerbos/cerbos-linux-x64/package.json');
    const binary = join(dirname(manifest), 'cerbos-linux-x64');
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Every Cerbos this process started and has not closed: killed on exit whatever happens. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts Cerbos and waits until `/_cerbos/health` answers; rejects after `readyTimeoutMs`. */
export async function startCerbos(binary: string, readyTimeoutMs: number): Promise<Cerbos> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'writ-bench-cerbos-'));
  const policies = join(dir, 'policies');
  await mkdir(policies);
  await writeFile(join(policies, 'order.yaml'), ORDER_POLICY);
  const port = await freePort();
  const config = join(dir, 'cerbos.yaml');
  await writeFile(
    config,
    [
      'server:',
      `  httpListenAddr: "127.0.0.1:${port}"`,
      `  grpcListenAddr: "unix:${join(dir, 'grpc.sock')}"`,
      'storage:',
      '  driver: disk',
      '  disk:',
      `    directory: "${policies}"`,
      '    watchForChanges: false',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['server', `--config=${config}`, '--log-level=error'], {
    env: { ...process.env, CERBOS_NO_TELEMETRY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString('utf8'));
    logs.splice(0, Math.max(0, logs.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const close = async () => {
    if (alive()) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(force);
    }
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (!alive()) {
      await close();
      throw new Error(`Cerbos exited before it was ready: ${logs.join('')}`);
    }
    try {
      const response = await fetch(`${url}/_cerbos/health`, { signal: AbortSignal.timeout(500) });
      await response.arrayBuffer();
      if (response.status === 200) return { url, startMs: performance.now() - started, close };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`Cerbos was not ready within ${readyTimeoutMs} ms: ${logs.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An AuthZEN request body, as Cerbos reads it. */
export interface CerbosAuthZenRequest {
  readonly subject: { type: string; id: string; properties: Record<string, unknown> };
  readonly action: { name: string; properties?: Record<string, unknown> };
  readonly resource: { type: string; id: string; properties: Record<string, unknown> };
  readonly context: Record<string, unknown>;
}

/**
 * What a Writ user writes to put Cerbos behind `createAuthZenEngine`: Cerbos takes principal roles from
 * `subject.properties['cerbos.roles']` and resource attributes from `resource.properties`.
 */
export function cerbosMapRequest(request: AuthorizationRequest): CerbosAuthZenRequest {
  return {
    subject: {
      type: request.subject.type,
      id: request.subject.id,
      properties: { ...request.subject.properties, 'cerbos.roles': [request.subject.type.toLowerCase()] },
    },
    action: { name: request.action.name, properties: { ...request.action.properties } },
    resource: {
      type: request.resource.type,
      id: request.resource.id,
      properties: {
        ...request.resource.properties,
        risk: request.context.risk,
        environment: request.context.environment,
        inScope: request.context.inScope,
      },
    },
    context: { ...request.context },
  };
}

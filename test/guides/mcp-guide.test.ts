// Issue 18 item 2: the MCP guide's server and client programs work together, as written. The page's
// first ts block (the server) runs as one process and its second (the client) as another, each in its
// own directory of this repository (so `writ`, `@writ/mcp`, the SDK… resolve to the built workspace
// packages, as from npm), talking Streamable HTTP on 127.0.0.1. Only what the page leaves to the reader
// comes from outside: the orders database, alice's sign-in, the person answering the approval, and the
// ports (through the environment variables the page reads).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { verifyLog } from '@writ/audit';
import { afterAll, describe, expect, it } from 'vitest';
import { logRecords, pageBlocks, removeScratch, runModule, scratchDir } from './run-docs.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) removeScratch(dir);
});

const SERVER_RUNTIME = `const db = { orders: {
  get: async (id: string) => ({ id, status: 'shipped' }),
  refund: async (id: string) => ({ id, status: 'refunded' }),
} };\n`;

// alice signs in at the desk's local authority (the key directory the page's createWrit uses); the
// person at the client approves what they can see in full: order 42
const CLIENT_RUNTIME = `import { createLocalAuthority as runtimeAuthority, createLocalIdentity as runtimeIdentity } from '@writ/identity';
const aliceToken = await runtimeIdentity({
  authority: await runtimeAuthority({ dir: '.writ/keys', trustDomain: 'support.example' }),
}).issueRequesterToken({ sub: 'alice@example.com' });
const ui = { confirm: async (message: string) => message.includes('"orderId": "42"') };\n`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The first line the process prints on stdout (the server says where it listens). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
}

// biome-ignore lint/suspicious/noExplicitAny: records are read back from JSON and checked field by field
type LogRecord = Record<string, any>;

describe('docs/guides/mcp.md, its server and client run together as written', () => {
  it('the client calls the server over Streamable HTTP: a credential for the server only, the approval asked and answered, both logs verify', async () => {
    const page = pageBlocks('docs/guides/mcp.md');
    // the guide's server and client, found by what they do (other snippets sit between them)
    const server = page.ts.find((b) => b.includes('instrumentServer(server, {')) as string;
    const client = page.ts.find((b) => b.includes('instrumentClient(')) as string;
    expect(server).toContain('instrumentServer(server, {');
    expect(client).toContain('instrumentClient(');

    const serverDir = scratchDir('mcp-guide-server');
    const clientDir = scratchDir('mcp-guide-client');
    dirs.push(serverDir, clientDir);
    const [mcpPort, jwksPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${mcpPort}/mcp`;
    const env = {
      ORDERS_MCP_URL: url,
      ISSUER_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
      JWKS_PORT: String(jwksPort),
    };

    writeFileSync(join(serverDir, 'server.ts'), SERVER_RUNTIME + server);
    const serverProcess = spawn(process.execPath, ['server.ts'], {
      cwd: serverDir,
      env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serverProcess);
    let serverErrors = '';
    serverProcess.stderr?.on('data', (chunk: Buffer) => {
      serverErrors += chunk.toString();
    });
    expect(await firstLine(serverProcess)).toBe(`orders-mcp listening for ${url}`);

    const run = runModule(clientDir, 'client.ts', CLIENT_RUNTIME + client, env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ type: 'text', text: '{"id":"42","status":"refunded"}' }]);

    serverProcess.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => {
      if (serverProcess.exitCode !== null) resolve(serverProcess.exitCode);
      else serverProcess.once('exit', resolve);
    });
    expect(serverErrors).toBe('');
    expect(code).toBe(0);

    // the server's log: the client's task, alice (verified) from the credential, the approval she
    // typed into the client recorded as claimed, the refund run
    const serverLog = join(serverDir, '.writ', 'audit');
    const records = logRecords(serverLog) as LogRecord[];
    const start = records.find((r) => r.kind === 'task-start');
    expect(start).toMatchObject({
      status: 'started',
      requester: { id: 'alice@example.com', assurance: 'verified', issuer: 'spiffe://support.example' },
    });
    expect(records.find((r) => r.kind === 'approval')?.approval).toMatchObject({
      approved: true,
      approver: { id: 'alice@example.com', assurance: 'claimed' },
    });
    expect(records.find((r) => r.kind === 'decision')?.decision.effect).toBe('approval_required');
    expect(records.find((r) => r.kind === 'outcome')?.outcome.status).toBe('ok');

    // the client's log: the same task, and the credential it sent, for the server's URL alone
    const clientLog = join(clientDir, '.writ', 'audit');
    const clientRecords = logRecords(clientLog) as LogRecord[];
    const clientStart = clientRecords.find((r) => r.kind === 'task-start');
    expect(clientStart?.taskId).toBe(start?.taskId);
    const sent = clientRecords
      .filter((r) => r.kind === 'task-end')
      .flatMap((r) => r.revoked ?? [])
      .find((c: LogRecord) => c.jti === start?.inbound.jti);
    expect(sent).toMatchObject({ audience: url });
    expect(start?.inbound.jti).not.toBe(clientStart?.credential.jti); // never the task token

    for (const log of [serverLog, clientLog]) {
      const { verifierKey } = JSON.parse(readFileSync(join(log, 'log.json'), 'utf8')) as {
        verifierKey: string;
      };
      expect(await verifyLog(log, { verifierKey, deep: true })).toMatchObject({ ok: true });
    }
  });
});

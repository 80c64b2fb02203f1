// The support desk (the MCP client side) in this process, the orders MCP server in another
// (./orders-server.ts), over Streamable HTTP on 127.0.0.1. The desk publishes its public keys (a JWKS
// endpoint, from writ.publicKeys(): no private key leaves the process), the server verifies the desk's
// credentials with them; each call carries a credential for the server's URL only; approvals come back
// to the desk's user over the session's stream; each side keeps its own log, and both verify.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { readLines, verifyLog } from '@writ/audit';
import { APPROVAL_META_KEY, instrumentClient, type WritApprovalMeta } from '@writ/mcp';
import { createWrit, defineAgent } from 'writ';

/** What {@link runSupportDesk} reports: the printed lines, plus what the test checks. */
export interface TwoProcessResult {
  readonly lines: readonly string[];
  readonly taskId: string;
  readonly serverUrl: string;
  readonly sessionId: string | undefined;
  /** Status of a request to the server carrying a foreign Host header. */
  readonly foreignHostStatus: number;
  readonly deskLogOk: boolean;
  readonly serverLogOk: boolean;
  /** The server's records (checkpoints left out). */
  readonly serverRecords: readonly Record<string, unknown>[];
  /** The desk's records (checkpoints left out). */
  readonly deskRecords: readonly Record<string, unknown>[];
}

const SERVER_FILE = join(import.meta.dirname, 'orders-server.ts');

export async function runSupportDesk(options: { dir: string }): Promise<TwoProcessResult> {
  const lines: string[] = [];
  const print = (line = '') => lines.push(line);
  const writ = createWrit({
    dir: join(options.dir, 'support-desk'),
    service: 'support-desk',
    trustDomain: 'support.example',
    agents: [
      defineAgent({ id: 'support-bot', owner: 'support@example.com', purpose: 'Answer order tickets' }),
    ],
  });
  const { localIdentity } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });

  // the desk's public keys, where the server fetches them (what your identity service's JWKS URL is)
  const keys = await writ.publicKeys();
  const jwks = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(keys.jwks));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;

  // the orders server: another process, its own Writ directory and log
  const serverDir = join(options.dir, 'orders-mcp');
  const child = spawn(process.execPath, [SERVER_FILE], {
    env: { ...process.env, ORDERS_DIR: serverDir, ISSUER: keys.issuer, ISSUER_JWKS_URL: jwksUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let ended = false;
  try {
    const started = JSON.parse(await firstLine(child)) as { url: string; verifierKey: string };
    print(`orders-mcp (pid ${child.pid}) listening on ${started.url}`);

    const client = instrumentClient(
      new Client({ name: 'support-bot', version: '1.0.0' }, { capabilities: { elicitation: {} } }),
      { audience: started.url }, // the server's resource URI: its credentials are for it alone
    );
    client.setRequestHandler(ElicitRequestSchema, async ({ params }) => {
      const approval = params._meta?.[APPROVAL_META_KEY] as WritApprovalMeta | undefined;
      const approve = (approval?.args as { orderId?: string } | undefined)?.orderId === '42';
      print(`  [desk] asked over the session's stream: ${params.message.split('\n')[0]}`);
      print(
        `  [desk]   arguments ${JSON.stringify(approval?.args)}, alice ${approve ? 'approves' : 'declines'}`,
      );
      return approve ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
    });
    const transport = new StreamableHTTPClientTransport(new URL(started.url));
    await client.connect(transport);
    const sessionId = transport.sessionId;
    print(`session ${sessionId === undefined ? '(none)' : 'opened'}`);

    const taskId = await writ.task(
      { requester: aliceToken, agent: 'support-bot', intent: 'Sort out order 42', scope: ['orders:*'] },
      async (task) => {
        for (const call of [
          { name: 'lookup_order', arguments: { orderId: '42' } },
          { name: 'refund_order', arguments: { orderId: '42' } },
          { name: 'refund_order', arguments: { orderId: '43' } },
        ]) {
          print(`> ${call.name} ${JSON.stringify(call.arguments)}`);
          const result = await client.callTool(call);
          const content = result.content as { type: string; text?: string }[];
          print(`< ${result.isError === true ? 'ERROR ' : ''}${content[0]?.text ?? ''}`);
        }
        return task.attribution.taskId;
      },
    );

    // DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends its own Host header
    const foreignHostStatus = await statusWithHost(started.url, 'attacker.example');
    print(`a request with Host: attacker.example gets HTTP ${foreignHostStatus}`);

    await transport.terminateSession(); // DELETE: the server closes the session
    await client.close();
    child.kill('SIGTERM');
    const code = await exited(child);
    ended = true;
    print(`orders-mcp exited with code ${code}`);
    await writ.close();

    const desk = await verifyLog(join(options.dir, 'support-desk', 'audit'), {
      verifierKey: keys.verifierKey,
      deep: true,
    });
    const server = await verifyLog(join(serverDir, 'audit'), {
      verifierKey: started.verifierKey,
      deep: true,
    });
    print(`verify support-desk log: ${desk.ok ? 'OK' : `FAILED at ${desk.firstBadIndex}`}`);
    print(`verify orders-mcp log: ${server.ok ? 'OK' : `FAILED at ${server.firstBadIndex}`}`);
    return {
      lines,
      taskId,
      serverUrl: started.url,
      sessionId,
      foreignHostStatus,
      deskLogOk: desk.ok,
      serverLogOk: server.ok,
      serverRecords: await recordsOf(join(serverDir, 'audit')),
      deskRecords: await recordsOf(join(options.dir, 'support-desk', 'audit')),
    };
  } finally {
    if (!ended) child.kill('SIGKILL');
    jwks.closeAllConnections();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  }
}

/** The records of a log (checkpoints left out). */
async function recordsOf(dir: string): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for await (const line of readLines(dir)) {
    const record = JSON.parse(line.bytes.toString()).r as Record<string, unknown>;
    if (record.kind !== 'checkpoint') records.push(record);
  }
  return records;
}

/** The first line a child process prints (it prints its address once it listens). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the orders server exited (${code}) before listening`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The HTTP status of an MCP request to `url` sent with another Host header. */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
  });
}

// Fleet mode for MCP (issue 20 item 2, "each adapter's suspend path"): two replicas of one MCP tool server
// (two processes, same audience, the call ledger and approvals shared in one real PostgreSQL, suspend mode)
// and a real MCP SDK 1.x client over Streamable HTTP. A call needing approval must not hold the request
// open for an answer another replica could never deliver: it is refused at once with the protocol's
// native pause (URLElicitationRequiredError, -32042, URL mode, MCP 2025-11-25), the human answers through
// the approval store as a console would (from this, a third, process), and the client's retry runs the
// call once on whichever replica gets it. What runs is counted in the database (one row per execution).
// Each client session opens on one replica, as after a reconnect behind a load balancer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { verifyLog } from '@writ/audit';
import { instrumentClient, REFUSAL_META_KEY } from '@writ/mcp';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { readRecords } from '../../../packages/mcp/src/__support__/sides.js';
import { attack } from './attacks.js';
import { type FleetMember, forkMember, stopMembers } from './fleet-members.js';

const MEMBER = fileURLToPath(new URL('./fleet-mcp-member.mjs', import.meta.url));
const STORE_KEY = 'fleet-mcp-test-store-key-0123456789abcdef';
const ORDERS = 'https://orders.example/mcp';
const CONSOLE = 'https://console.example/approvals';

type Replica = FleetMember<{ port: number }> & { readonly dir: string };
type ToolResult = {
  isError?: boolean;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
};

let db: TestPostgres;
let root: string;
let callerWrit: WritRuntime;
let aliceToken: string;
let a: Replica;
let b: Replica;
let consoleOffset = 0;
let console_: ReturnType<typeof createPostgresStores>;
const clients: Client[] = [];

const executions = async (orderId: string) =>
  (await db.admin.query('SELECT member FROM public.executions WHERE call = $1', [orderId])).rows.map(
    (r) => r.member as string,
  );

async function replica(name: string, caller: unknown): Promise<Replica> {
  const dir = join(root, name);
  const member = await forkMember<{ port: number }>(MEMBER, name, {
    DATABASE_URL: db.connectionString(),
    WRIT_DIR: dir,
    MEMBER: name,
    STORE_KEY,
    CALLER: JSON.stringify(caller),
    AUDIENCE: ORDERS,
    APPROVAL_URL: CONSOLE,
  });
  return { ...member, dir };
}

/** A new MCP session with `replica` (instrumented: alice's hop credential for ORDERS in `_meta`). */
async function session(
  replica: Replica,
  elicitation: { url?: Record<string, unknown>; form?: Record<string, unknown> } = { url: {} },
) {
  const client = new Client({ name: 'support-bot', version: '1.0.0' }, { capabilities: { elicitation } });
  instrumentClient(client, { audience: ORDERS });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${replica.ready.port}/mcp`)),
  );
  clients.push(client);
  return client;
}

/** A call's outcome as the client sees it: the tool result, or the JSON-RPC error. */
async function refund(client: Client, args: { orderId: string; amount: number; delayMs?: number }) {
  try {
    return { result: (await client.callTool({ name: 'refund_order', arguments: args })) as ToolResult };
  } catch (error) {
    if (error instanceof McpError) return { error };
    throw error;
  }
}

/** The pending approval's URL elicitation of a -32042 error. */
function elicitationOf(error: McpError | undefined) {
  expect(error?.code).toBe(ErrorCode.UrlElicitationRequired);
  expect(error?.code).toBe(-32042);
  const data = error?.data as {
    elicitations: { mode: string; elicitationId: string; url: string; message: string }[];
  };
  expect(data.elicitations).toHaveLength(1);
  return data.elicitations[0] as (typeof data.elicitations)[number];
}

const refusalOf = (result: ToolResult | undefined) =>
  result?._meta?.[REFUSAL_META_KEY] as { code: string; bindingHash?: string; expiresAt?: number } | undefined;

const asAlice = <T>(fn: () => Promise<T>) =>
  callerWrit.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, fn);

const answer = (bindingHash: string, approved: boolean) =>
  console_.approvals.answer(bindingHash, {
    approved,
    approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
    ...(approved ? {} : { reason: 'not this one' }),
    answeredAt: Date.now() + consoleOffset,
  });

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (tool text, call text, member text)');
  root = await mkdtemp(join(tmpdir(), 'writ-fleet-mcp-'));
  callerWrit = createWrit({
    dir: join(root, 'caller'),
    service: 'support-desk',
    trustDomain: 'support.example',
  });
  const { localIdentity } = await callerWrit.ready();
  aliceToken = await (localIdentity as NonNullable<typeof localIdentity>).issueRequesterToken({
    sub: 'alice@example.com',
  });
  const keys = await callerWrit.publicKeys();
  const caller = { issuer: keys.issuer, jwks: keys.jwks };
  [a, b] = await Promise.all([replica('a', caller), replica('b', caller)]);
  // the console: answers approvals from outside both replicas, with the fleet's store key
  console_ = createPostgresStores({
    connectionString: db.connectionString(),
    signer: hmacRowSigner(STORE_KEY),
    clock: () => Date.now() + consoleOffset,
  });
}, 180_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await stopMembers(a, b);
  await console_?.close();
  await callerWrit?.close();
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('fleet mode, MCP: two replicas of one tool server, one PostgreSQL, suspend mode', () => {
  it(attack(
    'fleet-mcp-suspend-across-replicas',
    'called on A: -32042 with the console URL at once; answered from the console; retried on B and A at the same time: exactly one execution',
  ), async () => {
    const args = { orderId: 'r-1', amount: 30, delayMs: 200 };
    await asAlice(async () => {
      const onA = await session(a);
      const t0 = performance.now();
      const first = await refund(onA, args);
      const pausedMs = performance.now() - t0;
      const asked = elicitationOf(first.error);
      expect(asked).toMatchObject({ mode: 'url' });
      expect(asked.url).toBe(`${CONSOLE}/${encodeURIComponent(asked.elicitationId)}`);
      expect(asked.elicitationId).toMatch(/^sha256:/);
      expect(await executions('r-1')).toEqual([]);
      // the console lists it (alice's, the refund tool) and bob approves it there
      const queue = await console_.approvals.list();
      expect(queue.find((p) => p.bindingHash === asked.elicitationId)).toMatchObject({
        tool: 'refund_order',
        requester: { id: 'alice@example.com' },
      });
      expect(await answer(asked.elicitationId, true)).toMatchObject({ status: 'answered' });
      // the client retries: on B (another session, another process) and, at the same time, on A
      const [toB, toA] = await Promise.all([session(b), session(a)]);
      const t1 = performance.now();
      const [onB, onA2] = await Promise.all([refund(toB, args), refund(toA, args)]);
      // figures, not assertions: the pause comes back at once (nothing held open), the retries race
      console.log(
        `fleet-mcp: -32042 returned in ${pausedMs.toFixed(1)} ms; concurrent retries on B and A settled in ${(performance.now() - t1).toFixed(1)} ms (tool delay 200 ms)`,
      );
      const results = [onB, onA2].map((r) => r.result);
      expect([onB.error, onA2.error]).toEqual([undefined, undefined]);
      const ran = results.filter((r) => r?.isError !== true);
      expect(ran).toHaveLength(1);
      for (const r of ran) expect(r?.content[0]?.text).toMatch(/^order r-1: refunded 30 by [ab]$/);
      // the claimant that did not run it gets the typed refusal with the result digest (capture is off)
      for (const r of results.filter((x) => x?.isError === true)) {
        expect(refusalOf(r)?.code).toBe('WRIT_ALREADY_EXECUTED');
      }
      expect(await executions('r-1')).toHaveLength(1);
      // and once more, later, on B: never a second execution
      const again = await refund(await session(b), args);
      expect(again.error).toBeUndefined();
      expect(await executions('r-1')).toHaveLength(1);
    });
  }, 120_000);

  it(attack(
    'fleet-mcp-suspend-across-replicas',
    'a client without URL elicitation gets a tool error with WRIT_APPROVAL_PENDING and the binding hash; its retry on B runs once',
  ), async () => {
    const args = { orderId: 'r-2', amount: 12 };
    await asAlice(async () => {
      const first = await refund(await session(a, {}), args);
      expect(first.error).toBeUndefined();
      expect(first.result?.isError).toBe(true);
      const pending = refusalOf(first.result);
      expect(pending).toMatchObject({ code: 'WRIT_APPROVAL_PENDING' });
      expect(pending?.bindingHash).toMatch(/^sha256:/);
      expect(pending?.expiresAt).toBeGreaterThan(Date.now());
      expect(first.result?.content[0]?.text).toContain(pending?.bindingHash);
      // asked again before anyone answered: still pending, one approval, nothing ran
      const still = await refund(await session(b, {}), args);
      expect(refusalOf(still.result)).toMatchObject({
        code: 'WRIT_APPROVAL_PENDING',
        bindingHash: pending?.bindingHash,
      });
      expect(await answer(pending?.bindingHash as string, true)).toMatchObject({ status: 'answered' });
      const retried = await refund(await session(b, {}), args);
      expect(retried.result?.isError).not.toBe(true);
      expect(retried.result?.content[0]?.text).toBe('order r-2: refunded 12 by b');
    });
    expect(await executions('r-2')).toEqual(['b']);
  }, 120_000);

  it(attack(
    'fleet-mcp-rejected-or-late',
    'declined at the console: the retry on B is refused (WRIT_APPROVAL_REJECTED), never runs',
  ), async () => {
    const args = { orderId: 'r-3', amount: 900 };
    await asAlice(async () => {
      const asked = elicitationOf((await refund(await session(a), args)).error);
      expect(await answer(asked.elicitationId, false)).toMatchObject({ status: 'answered' });
      const retried = await refund(await session(b), args);
      expect(retried.error).toBeUndefined();
      expect(refusalOf(retried.result)?.code).toBe('WRIT_APPROVAL_REJECTED');
      expect(retried.result?.content[0]?.text).toContain('not this one');
    });
    expect(await executions('r-3')).toEqual([]);
  }, 120_000);

  it(attack(
    'fleet-mcp-rejected-or-late',
    'answered after the approval expired: the console is refused, the retry on B is refused, never runs',
  ), async () => {
    const args = { orderId: 'r-4', amount: 40 };
    await asAlice(async () => {
      const asked = elicitationOf((await refund(await session(a), args)).error);
      consoleOffset = 120_000;
      await b.call('clock', { offsetMs: 120_000 });
      try {
        expect(await answer(asked.elicitationId, true)).toEqual({ status: 'not_pending' });
        // the retry on B: refused, or (the call ledger's entry expired with the approval) decided
        // afresh, asking a new approval under a new binding; never run under the late answer
        const retried = await refund(await session(b), args);
        if (retried.error === undefined) {
          expect(refusalOf(retried.result)?.code).toBe('WRIT_APPROVAL_REJECTED');
        } else {
          expect(elicitationOf(retried.error).elicitationId).not.toBe(asked.elicitationId);
        }
      } finally {
        consoleOffset = 0;
        await b.call('clock', { offsetMs: 0 });
      }
    });
    expect(await executions('r-4')).toEqual([]);
  }, 120_000);

  it('every record is in a log that verifies: asked on A, approved at the console, run on one replica', async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    await Promise.all([a.call('close'), b.call('close')]);
    const inA = await readRecords(join(a.dir, 'audit'));
    const inB = await readRecords(join(b.dir, 'audit'));
    const all = [...inA, ...inB];
    // r-1: asked on A (the first approval asked), approved once, decided and run once, the other
    // claimants' attempts recorded as replays
    const first = inA.find((r) => r.kind === 'approval-requested')?.call.id as string;
    const ofCall = all.filter((r) => r.call?.id === first);
    const status = (r: (typeof all)[number]) => r.outcome?.status ?? r.status;
    const count = (kind: string) => ofCall.filter((r) => r.kind === kind).length;
    expect([count('approval-requested'), count('approval'), count('decision')]).toEqual([1, 1, 1]);
    expect(
      ofCall
        .filter((r) => r.kind === 'outcome')
        .map(status)
        .sort(),
    ).toEqual(['ok', 'replayed', 'replayed']);
    // pauses are not failures: the server's tasks that refused with -32042 ended normally
    expect(all.filter((r) => r.kind === 'task-end').map(status)).not.toContain('error');
    const requested = [...inA, ...inB].filter((r) => r.kind === 'approval-requested');
    expect(requested.length).toBeGreaterThanOrEqual(4);
    for (const r of requested) expect(r).toMatchObject({ mode: 'suspend' });
    const approvals = [...inA, ...inB].filter((r) => r.kind === 'approval');
    expect(approvals.map((r) => [r.approval.approved, r.approval.approver?.id])).toEqual(
      expect.arrayContaining([
        [true, 'bob@example.com'],
        [false, 'bob@example.com'],
      ]),
    );
    for (const dir of [a.dir, b.dir]) expect((await verifyLog(join(dir, 'audit'))).ok, dir).toBe(true);
  }, 120_000);
});

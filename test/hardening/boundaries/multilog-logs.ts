// The logs of one investigation over two services (issue 21 items 1 and 6), written by the real
// pipeline: a caller (alice's support desk: orchestrator agent, a delegated sub-agent whose tool calls the
// orders MCP server with a credential for the server's audience), the orders server (its own runtime,
// key and log), and a third log whose task claims to continue alice's delegated task with a credential
// (jti) nobody issued. Each comes with its pinned key and a copy of its published checkpoint.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import { mcpWorld, ORDERS, text } from './mcp-world.js';

export interface Side {
  readonly log: string;
  readonly key: string;
  /** A copy of its published checkpoint, kept outside the log (the anchor). */
  readonly anchor: string;
}

export interface MultilogLogs {
  readonly caller: Side;
  readonly callee: Side;
  /** A log (service `orders-mcp`) holding a task that cites `forgedJti`, which nobody issued. */
  readonly forged: Side;
  readonly forgedJti: string;
  /** Alice's task: the orchestrator delegates to the sub-agent, whose tool calls the orders server. */
  readonly joinedTask: string;
  readonly delegated: string;
  /** Alice's task whose tool was issued a credential for the orders server and never used it. */
  readonly unusedTask: string;
  cleanup(): Promise<void>;
}

/** `--key <log>=<key> --checkpoint <log>=<anchor>` for each side. */
export const evidence = (...sides: Side[]): string[] =>
  sides.flatMap((s) => ['--key', `${s.log}=${s.key}`, '--checkpoint', `${s.log}=${s.anchor}`]);

/** Writes the three logs under `dir` (the MCP world's own directories hold the first two). */
export async function multilogLogs(
  dir: string,
  options: { forgedJti?: string; forgedService?: string } = {},
): Promise<MultilogLogs> {
  await mkdir(join(dir, 'anchors'), { recursive: true });
  const anchor = async (log: string, name: string) => {
    const kept = join(dir, 'anchors', name);
    await cp(join(log, 'checkpoint'), kept);
    return kept;
  };
  const w = await mcpWorld();
  const toOrders = w.instrumentedClient(ORDERS);
  await w.connect(w.ordersServer(), toOrders);
  // the caller's tools carry the orders server's audience: the credential each call is issued is the
  // one the MCP client sends (hopCredential), and the caller's decision record names its jti
  const lookupRemote = w.clientWrit.tool({
    name: 'lookup_remote_order',
    permission: 'orders:read',
    audience: ORDERS,
    input: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) =>
      text(await toOrders.callTool({ name: 'lookup_order', arguments: { orderId } })),
  });
  const unused = w.clientWrit.tool({
    name: 'check_orders_later',
    permission: 'orders:read',
    audience: ORDERS,
    input: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) => `queued ${orderId}`,
  });
  const alice = await w.identity.issueRequesterToken({ sub: 'alice@example.com' });
  const asAlice = <R>(intent: string, fn: (taskId: string) => Promise<R>) =>
    w.clientWrit.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'], intent }, (t) =>
      fn(t.attribution.taskId),
    );
  let joinedTask = '';
  let delegated = '';
  let unusedTask = '';
  await asAlice('Where is order 42?', async (taskId) => {
    joinedTask = taskId;
    await w.clientWrit.delegate({ agent: 'order-reader', scope: ['orders:read'] }, async (sub) => {
      delegated = sub.attribution.taskId;
      expect(await lookupRemote.execute({ orderId: '42' })).toBe('order 42: shipped');
    });
  });
  await asAlice('Check order 7 later', async (taskId) => {
    unusedTask = taskId;
    await unused.execute({ orderId: '7' });
  });
  const { issuer } = (await w.clientWrit.ready()).authority;
  /** The verifier key of a runtime's log (a file log always has one). */
  const keyOf = async (writ: { publicKeys(): Promise<{ verifierKey?: string | undefined }> }) => {
    const { verifierKey } = await writ.publicKeys();
    if (verifierKey === undefined) throw new Error('no verifier key');
    return verifierKey;
  };
  const keys = [await keyOf(w.clientWrit), await keyOf(w.serverWrit)] as const;
  await w.close();
  const caller = { log: w.clientLog, key: keys[0], anchor: await anchor(w.clientLog, 'caller') };
  const callee = { log: w.serverLog, key: keys[1], anchor: await anchor(w.serverLog, 'callee') };

  // a third log: a runtime of its own that claims to continue alice's delegated task with a credential
  // (jti) nobody issued
  const forgedJti = options.forgedJti ?? 'forged-0000-jti';
  const forgedWrit = createWrit({
    dir: join(dir, 'forged'),
    service: options.forgedService ?? 'orders-mcp',
    trustDomain: 'orders.example',
  });
  const refund = forgedWrit.tool({
    name: 'refund_order',
    permission: 'orders:read',
    input: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) => `refunded ${orderId}`,
  });
  await forgedWrit.task(
    {
      agent: 'orders-mcp',
      inbound: {
        taskId: delegated,
        subject: 'alice@example.com',
        actors: ['spiffe://support.example/agent/support-bot', 'spiffe://support.example/agent/order-reader'],
        autonomous: false,
        scope: ['orders:read'],
        issuer,
        jti: forgedJti,
        expiresAt: Date.now() + 60_000,
      },
    },
    () => refund.execute({ orderId: '42' }),
  );
  const forgedKey = await keyOf(forgedWrit);
  await forgedWrit.close();
  const forgedLog = join(dir, 'forged', 'audit');
  const forged = { log: forgedLog, key: forgedKey, anchor: await anchor(forgedLog, 'forged') };
  return {
    caller,
    callee,
    forged,
    forgedJti,
    joinedTask,
    delegated,
    unusedTask,
    cleanup: () => w.cleanup(),
  };
}

/**
 * A copy of `side`'s log at `to` with one byte flipped: the year of the first decision record's time
 * ('6' ^ 1 = '7', still JSON, still a time). The attacker has no key.
 */
export async function flippedCopy(side: Side, to: string): Promise<Side> {
  await cp(side.log, to, { recursive: true });
  const segment = join(to, (await readdir(to)).find((f) => f.endsWith('.jsonl')) as string);
  const bytes = await readFile(segment);
  const decision = bytes.indexOf('"kind":"decision"');
  const lineStart = bytes.lastIndexOf('\n', decision) + 1;
  const at = bytes.indexOf('"time":"', lineStart) + '"time":"'.length + 3;
  expect(at).toBeLessThan(bytes.indexOf('\n', decision));
  bytes[at] = (bytes[at] as number) ^ 0x01;
  await writeFile(segment, bytes);
  return { ...side, log: to };
}

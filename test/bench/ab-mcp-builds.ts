// Compares two builds of `@writ/mcp` + `@writ/core` in one process (ABBA rounds, like
// ab-adapter-builds.ts) on the MCP loop of the adapters scenario (adapter-loops/mcp.ts): an MCP SDK 1.x
// client calling `lookup_order` on an `McpServer` over the SDK's in-memory transport, three ways per
// build: the server under `instrumentServer` (no task token, `requireTaskToken: false`: each request an
// autonomous task of the server's agent), a plain server whose handler runs `writ.tool` inside
// `writ.task({ agent })`, and no Writ. Prints p50 wall time and CPU time per request, and each build's
// MCP adapter gap (adapter adds ÷ writ.tool adds, as the adapters scenario reads it).
//
// The "before" build is a copy of both packages in a package tree of its own, so its `@writ/mcp`
// imports its own `@writ/core` (everything else, the MCP SDK included, resolves from the repository's
// node_modules):
//
//   B=node_modules/.ab-before-mcp/node_modules/@writ; mkdir -p $B/core $B/mcp
//   cp -r packages/core/{dist,package.json} $B/core/ && cp -r packages/mcp/{dist,package.json} $B/mcp/
//   # change, rebuild both packages, then:
//   node test/bench/ab-mcp-builds.ts node_modules/.ab-before-mcp/node_modules/@writ packages 20
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type * as Core from '@writ/core';
import type * as Mcp from '@writ/mcp';
import { z } from 'zod';
import {
  ARGS,
  createAllowAllPolicy,
  createDiscardingSink,
  createForgetfulBroker,
  LOOKUP_HINTS,
  type LookupArgs,
  lookupOrder,
  lookupToolDefinition,
} from './fixtures.ts';
import { quantile } from './sampling.ts';
import { setUpTracing } from './tracing.ts';

const [rootA, rootB, secondsArg] = process.argv.slice(2);
if (rootA === undefined || rootB === undefined) {
  console.error('usage: ab-mcp-builds.ts <dir holding core/ and mcp/ before> <… after> [seconds=20]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 20);
const ROUND_MS = 200;
/** The server's agent: each inbound request is a task of its own (as adapter-loops/mcp.ts). */
const AGENT = 'orders-mcp';

interface Side {
  readonly label: string;
  readonly way: string;
  readonly call: () => Promise<unknown>;
  readonly flush: () => Promise<void>;
  readonly wall: number[];
  cpuUs: number;
  calls: number;
}

const closers: (() => Promise<unknown>)[] = [];

/** A connected client of a server serving `lookup_order` with `body`, `prepare`d before the tool is registered. */
async function clientFor(
  body: (args: LookupArgs) => Promise<unknown>,
  prepare: (server: McpServer) => void,
): Promise<() => Promise<unknown>> {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  prepare(server);
  server.registerTool(
    'lookup_order',
    { inputSchema: { orderId: z.string() }, annotations: { readOnlyHint: true } },
    async (args) => ({ content: [{ type: 'text', text: JSON.stringify(await body(args)) }] }),
  );
  const client = new Client({ name: 'support-bot', version: '1.0.0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  closers.push(
    () => client.close(),
    () => server.close(),
  );
  return () => client.callTool({ name: 'lookup_order', arguments: { ...ARGS } });
}

async function sides(label: string, root: string): Promise<Side[]> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(root, path)).href)) as T;
  const core = await load<typeof Core>('core/dist/index.js');
  const { instrumentServer } = await load<typeof Mcp>('mcp/dist/index.js');
  const make = async (
    way: string,
    call: (writ: Core.Writ) => Promise<() => Promise<unknown>>,
  ): Promise<Side> => {
    const writ = core.createWrit({
      policy: createAllowAllPolicy(),
      audit: createDiscardingSink({ encode: 'canonical' }),
      credentials: createForgetfulBroker(),
      durability: 'async',
    });
    return { label, way, call: await call(writ), flush: () => writ.flush(), wall: [], cpuUs: 0, calls: 0 };
  };
  return [
    await make('MCP adapter', (writ) =>
      clientFor(lookupOrder, (server) =>
        instrumentServer(server, {
          writ,
          agent: AGENT,
          audience: 'https://orders.example/mcp',
          requireTaskToken: false,
          verifyTaskToken: () => {
            throw new Error('the bench sends no task token');
          },
          tools: LOOKUP_HINTS,
        }),
      ),
    ),
    await make('MCP, writ.tool', (writ) => {
      const tool = writ.tool(lookupToolDefinition());
      return clientFor(
        (args) => writ.task({ agent: AGENT }, () => tool.execute(args)),
        () => undefined,
      );
    }),
    await make('MCP, no Writ', () => clientFor(lookupOrder, () => undefined)),
  ];
}

async function round(s: Side, record: boolean): Promise<void> {
  const cpu = process.cpuUsage();
  const until = performance.now() + ROUND_MS;
  let calls = 0;
  while (performance.now() < until) {
    const t0 = performance.now();
    await s.call();
    const t1 = performance.now();
    if (record) s.wall.push((t1 - t0) * 1000);
    calls++;
  }
  const used = process.cpuUsage(cpu);
  if (record) {
    s.cpuUs += used.user + used.system;
    s.calls += calls;
  }
  await s.flush();
}

const tracing = setUpTracing();
const before = await sides('before', rootA);
const after = await sides('after', rootB);
const ways = before.map((b, i) => [b, after[i] as Side] as const);
for (const [a, b] of ways) for (let i = 0; i < 3; i++) for (const s of [a, b]) await round(s, false);
const rounds = Math.max(2, Math.round((seconds * 1000) / ROUND_MS / 2 / ways.length));
for (let r = 0; r < rounds; r++) {
  for (const [a, b] of ways) for (const s of r % 2 === 0 ? [a, b] : [b, a]) await round(s, true);
}
for (const close of closers) await close().catch(() => undefined);
await tracing.shutdown();

const stats = (s: Side) => ({
  p50: quantile(
    [...s.wall].sort((x, y) => x - y),
    0.5,
  ),
  cpu: s.cpuUs / s.calls,
});
const f = (v: number) => v.toFixed(1).padStart(8);
console.log(`${rounds} rounds of ${ROUND_MS} ms per side and way, ABBA order; µs per request`);
console.log(`${'way'.padEnd(18)}  p50 before  p50 after   ratio  cpu before  cpu after   ratio`);
for (const [a, b] of ways) {
  const sa = stats(a);
  const sb = stats(b);
  console.log(
    `${a.way.padEnd(18)}  ${f(sa.p50)}    ${f(sb.p50)}  ${(sb.p50 / sa.p50).toFixed(3)}    ${f(sa.cpu)}   ${f(sb.cpu)}  ${(sb.cpu / sa.cpu).toFixed(3)}`,
  );
}
// the MCP adapter gap of each build: what the adapter adds to the loop ÷ what writ.tool direct adds
const byWay = (side: 0 | 1, way: string) =>
  stats((ways.find(([a]) => a.way === way) as readonly [Side, Side])[side]);
for (const [side, label] of [
  [0, 'before'],
  [1, 'after'],
] as const) {
  const adapted = byWay(side, 'MCP adapter');
  const direct = byWay(side, 'MCP, writ.tool');
  const none = byWay(side, 'MCP, no Writ');
  const gap = (k: 'p50' | 'cpu') => (adapted[k] - none[k]) / (direct[k] - none[k]);
  console.log(
    `MCP adapter gap, ${label}: adds p50 ${f(adapted.p50 - none.p50)} vs ${f(direct.p50 - none.p50)} µs = ${gap('p50').toFixed(3)}×, CPU ${f(adapted.cpu - none.cpu)} vs ${f(direct.cpu - none.cpu)} µs = ${gap('cpu').toFixed(3)}×`,
  );
}

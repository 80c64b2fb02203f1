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
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type * as Core from '@writ/core';
import type * as Mcp from '@writ/mcp';
import { z } from 'zod';
import { type BuildSide, buildSide, printBuilds, sampleBuilds } from './ab-builds.ts';
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

async function sides(label: string, root: string): Promise<BuildSide[]> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(root, path)).href)) as T;
  const core = await load<typeof Core>('core/dist/index.js');
  const { instrumentServer } = await load<typeof Mcp>('mcp/dist/index.js');
  const make = async (
    way: string,
    call: (writ: Core.Writ) => Promise<() => Promise<unknown>>,
  ): Promise<BuildSide> => {
    const writ = core.createWrit({
      policy: createAllowAllPolicy(),
      audit: createDiscardingSink({ encode: 'canonical' }),
      credentials: createForgetfulBroker(),
      durability: 'async',
    });
    return buildSide(label, way, { call: await call(writ), flush: () => writ.flush() });
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

const tracing = setUpTracing();
const { ways, rounds } = await sampleBuilds(
  await sides('before', rootA),
  await sides('after', rootB),
  seconds,
  ROUND_MS,
);
for (const close of closers) await close().catch(() => undefined);
await tracing.shutdown();
printBuilds(ways, `${rounds} rounds of ${ROUND_MS} ms per side and way, ABBA order; µs per request`, {
  name: 'MCP',
  adapter: 'MCP adapter',
  direct: 'MCP, writ.tool',
  none: 'MCP, no Writ',
});

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
import type * as Core from '@writ/core';
import type * as Mcp from '@writ/mcp';
import { type BuildSide, buildArgs, buildSide, coreWritOf, printBuilds, sampleBuilds } from './ab-builds.ts';
import { lookupOrder, lookupToolDefinition } from './fixtures.ts';
import { benchServerOptions, MCP_AGENT, mcpClientFor } from './scenarios/adapter-loops/mcp.ts';
import { setUpTracing } from './tracing.ts';

const { rootA, rootB, seconds } = buildArgs(
  'ab-mcp-builds.ts <dir holding core/ and mcp/ before> <… after> [seconds=20]',
);
const ROUND_MS = 200;
const closers: (() => Promise<unknown>)[] = [];

async function sides(label: string, root: string): Promise<BuildSide[]> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(root, path)).href)) as T;
  const core = await load<typeof Core>('core/dist/index.js');
  const { instrumentServer } = await load<typeof Mcp>('mcp/dist/index.js');
  const none = () => undefined;
  const make = async (
    way: string,
    call: (writ: Core.Writ) => Promise<() => Promise<unknown>>,
  ): Promise<BuildSide> => {
    const writ = coreWritOf(core);
    return buildSide(label, way, { call: await call(writ), flush: () => writ.flush() });
  };
  return [
    await make('MCP adapter', (writ) =>
      mcpClientFor(lookupOrder, (server) => instrumentServer(server, benchServerOptions(writ)), closers),
    ),
    await make('MCP, writ.tool', (writ) => {
      const tool = writ.tool(lookupToolDefinition());
      return mcpClientFor((args) => writ.task({ agent: MCP_AGENT }, () => tool.execute(args)), none, closers);
    }),
    await make('MCP, no Writ', () => mcpClientFor(lookupOrder, none, closers)),
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

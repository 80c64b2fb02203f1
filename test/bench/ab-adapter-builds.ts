// Compares two builds of `@writ/ai-sdk` + `@writ/core` in one process (ABBA rounds, like ab-core.ts):
// the same @writ/core set-up (fixtures.ts) called four ways with each build: `writ.tool` direct, the
// adapter kit's `check` then `run` (what every adapter but @writ/ai-sdk does per call), the benchmark tool
// wrapped by `writTools` with its `execute` called by hand with the options the AI SDK passes, and inside
// the AI SDK loop (generateText, MockLanguageModelV4, 2 turns, 1 tool call); and the loop's other two
// sides of the adapter gap, a plain AI SDK tool calling `writ.tool` and no Writ. Prints p50 wall time and
// CPU time per call, and each build's AI SDK adapter gap (adapter adds ÷ writ.tool adds, as the adapters
// scenario reads it).
//
// The "before" build is a copy of both packages in a package tree of its own, so its `@writ/ai-sdk`
// imports its own `@writ/core` (everything else resolves from the repository's node_modules):
//
//   B=node_modules/.ab-before/node_modules/@writ; mkdir -p $B/core $B/ai-sdk
//   cp -r packages/core/{dist,package.json} $B/core/ && cp -r packages/ai-sdk/{dist,package.json} $B/ai-sdk/
//   # change, rebuild both packages, then:
//   node test/bench/ab-adapter-builds.ts node_modules/.ab-before/node_modules/@writ packages 20
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type * as AiSdk from '@writ/ai-sdk';
import type * as Core from '@writ/core';
import type * as Kit from '@writ/core/adapter';
import {
  ARGS,
  createAllowAllPolicy,
  createDiscardingSink,
  createForgetfulBroker,
  LOOKUP_HINTS,
  lookupOrder,
  lookupToolDefinition,
  REQUESTER,
  TASK,
} from './fixtures.ts';
import { quantile } from './sampling.ts';
import { aiSdkLoop, aiSdkTools, aiSdkToolsCalling } from './scenarios/ai-sdk-loop.ts';
import { setUpTracing } from './tracing.ts';

const [rootA, rootB, secondsArg] = process.argv.slice(2);
if (rootA === undefined || rootB === undefined) {
  console.error('usage: ab-adapter-builds.ts <dir holding core/ and ai-sdk/ before> <… after> [seconds=20]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 20);
const ROUND_MS = 200;

interface Side {
  readonly label: string;
  readonly way: string;
  readonly call: () => Promise<unknown>;
  readonly inTask: (body: () => Promise<void>) => Promise<void>;
  readonly flush: () => Promise<void>;
  readonly wall: number[];
  cpuUs: number;
  calls: number;
}

const MESSAGES = [{ role: 'user', content: 'Where is order 42?' }];

async function sides(label: string, root: string): Promise<Side[]> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(root, path)).href)) as T;
  const core = await load<typeof Core>('core/dist/index.js');
  const { writTools } = await load<typeof AiSdk>('ai-sdk/dist/index.js');
  const { adaptTool } = await load<typeof Kit>('core/dist/adapter.js');
  const make = (way: string, call: (writ: Core.Writ) => () => Promise<unknown>): Side => {
    const writ = core.createWrit({
      policy: createAllowAllPolicy(),
      audit: createDiscardingSink({ encode: 'canonical' }),
      credentials: createForgetfulBroker(),
      durability: 'async',
    });
    return {
      label,
      way,
      call: call(writ),
      inTask: (body) => writ.task({ ...TASK, requester: REQUESTER }, body),
      flush: () => writ.flush(),
      wall: [],
      cpuUs: 0,
      calls: 0,
    };
  };
  let n = 0;
  const wrap = (writ: Core.Writ) =>
    writTools(aiSdkTools(), { writ, tools: LOOKUP_HINTS }) as ReturnType<typeof aiSdkTools>;
  return [
    make('writ.tool direct', (writ) => {
      const tool = writ.tool(lookupToolDefinition());
      return () => tool.execute(ARGS);
    }),
    make('check + run', (writ) => {
      const adapted = adaptTool(
        'bench',
        { name: 'lookup_order' },
        (args) => lookupOrder(args as typeof ARGS),
        {
          writ,
          tools: LOOKUP_HINTS,
        },
      );
      return async () => {
        const toolCallId = `call_${++n}`;
        // the framework's own ids, as the adapters pass them (an MCP session and request id, here)
        const frameworkIds = { sessionId: 'session-1', requestId: String(n) };
        await adapted.check(ARGS, { toolCallId, frameworkIds });
        return adapted.run(ARGS, { toolCallId, frameworkIds });
      };
    }),
    make('execute by hand', (writ) => {
      const execute = wrap(writ).lookup_order.execute as (i: unknown, o: unknown) => Promise<unknown>;
      return () => execute(ARGS, { toolCallId: `call_${++n}`, messages: MESSAGES });
    }),
    make('AI SDK loop', (writ) => aiSdkLoop(wrap(writ), false)),
    // the gap's other two sides (as the adapters scenario has them): the loop calling writ.tool, and no Writ
    make('AI SDK, writ.tool', (writ) => {
      const tool = writ.tool(lookupToolDefinition());
      return aiSdkLoop(
        aiSdkToolsCalling((args) => tool.execute(args)),
        false,
      );
    }),
    make('AI SDK, no Writ', () => aiSdkLoop(aiSdkTools(), false)),
  ];
}

async function round(s: Side, record: boolean): Promise<void> {
  await s.inTask(async () => {
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
  });
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
await tracing.shutdown();

const stats = (s: Side) => ({
  p50: quantile(
    [...s.wall].sort((x, y) => x - y),
    0.5,
  ),
  cpu: s.cpuUs / s.calls,
});
const f = (v: number) => v.toFixed(1).padStart(8);
console.log(`${rounds} rounds of ${ROUND_MS} ms per side and way, ABBA order; µs per call`);
console.log(`${'way'.padEnd(18)}  p50 before  p50 after   ratio  cpu before  cpu after   ratio`);
for (const [a, b] of ways) {
  const sa = stats(a);
  const sb = stats(b);
  console.log(
    `${a.way.padEnd(18)}  ${f(sa.p50)}    ${f(sb.p50)}  ${(sb.p50 / sa.p50).toFixed(3)}    ${f(sa.cpu)}   ${f(sb.cpu)}  ${(sb.cpu / sa.cpu).toFixed(3)}`,
  );
}
// the AI SDK adapter gap of each build: what the adapter adds to the loop ÷ what writ.tool direct adds
const byWay = (side: 0 | 1, way: string) =>
  stats((ways.find(([a]) => a.way === way) as readonly [Side, Side])[side]);
for (const [side, label] of [
  [0, 'before'],
  [1, 'after'],
] as const) {
  const adapted = byWay(side, 'AI SDK loop');
  const direct = byWay(side, 'AI SDK, writ.tool');
  const none = byWay(side, 'AI SDK, no Writ');
  const gap = (k: 'p50' | 'cpu') => (adapted[k] - none[k]) / (direct[k] - none[k]);
  console.log(`AI SDK adapter gap, ${label}: p50 ${gap('p50').toFixed(3)}×, CPU ${gap('cpu').toFixed(3)}×`);
}

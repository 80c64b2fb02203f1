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
import { pathToFileURL } from 'node:url';
import type * as AiSdk from '@writ/ai-sdk';
import type * as Core from '@writ/core';
import type * as Kit from '@writ/core/adapter';
import { type BuildSide, buildArgs, buildSide, coreWritOf, printBuilds, sampleBuilds } from './ab-builds.ts';
import { ARGS, LOOKUP_HINTS, lookupOrder, lookupToolDefinition, REQUESTER, TASK } from './fixtures.ts';
import { aiSdkLoop, aiSdkTools, aiSdkToolsCalling } from './scenarios/ai-sdk-loop.ts';
import { setUpTracing } from './tracing.ts';

const { rootA, rootB, seconds } = buildArgs(
  'ab-adapter-builds.ts <dir holding core/ and ai-sdk/ before> <… after> [seconds=20]',
);
const ROUND_MS = 200;

const MESSAGES = [{ role: 'user', content: 'Where is order 42?' }];

async function sides(label: string, root: string): Promise<BuildSide[]> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(root, path)).href)) as T;
  const core = await load<typeof Core>('core/dist/index.js');
  const { writTools } = await load<typeof AiSdk>('ai-sdk/dist/index.js');
  const { adaptTool } = await load<typeof Kit>('core/dist/adapter.js');
  const make = (way: string, call: (writ: Core.Writ) => () => Promise<unknown>): BuildSide => {
    const writ = coreWritOf(core);
    return buildSide(label, way, {
      call: call(writ),
      inTask: (body) => writ.task({ ...TASK, requester: REQUESTER }, body),
      flush: () => writ.flush(),
    });
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

const tracing = setUpTracing();
const { ways, rounds } = await sampleBuilds(
  await sides('before', rootA),
  await sides('after', rootB),
  seconds,
  ROUND_MS,
);
await tracing.shutdown();
printBuilds(ways, `${rounds} rounds of ${ROUND_MS} ms per side and way, ABBA order; µs per call`, {
  name: 'AI SDK',
  adapter: 'AI SDK loop',
  direct: 'AI SDK, writ.tool',
  none: 'AI SDK, no Writ',
});

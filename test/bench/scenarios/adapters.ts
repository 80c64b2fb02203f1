// The adapter gap for every adapter (issue 23 item 4): each framework's own loop with its scripted model,
// three ways in one process — no Writ, the tool governed by the Writ adapter, a plain framework tool
// calling a `writ.tool` (no adapter) — each Writ a `@writ/core` set-up like `peer-writ-core` (fixtures.ts
// createCoreWrit). Per adapter: the three cases in interleaved rounds, then the pairs (no Writ → adapter,
// no Writ → direct) in alternating batches; the gap = what the adapter adds ÷ what the direct call adds,
// p50 differences from the pairs, in wall time and in CPU time (`process.cpuUsage` around each run).
//
//   node test/bench/run.ts --only adapters
import { performance } from 'node:perf_hooks';
import { type BenchWrit, createCoreWrit } from '../fixtures.ts';
import { quantile, sampleLatency, samplePair } from '../sampling.ts';
import { genkitLoop, googleAdkLoop, strandsLoop } from './adapter-loops/adk-genkit-strands.ts';
import { langchainLoop, mastraLoop, openAiAgentsLoop } from './adapter-loops/langchain-openai-mastra.ts';
import type { AdapterLoop, Run } from './adapter-loops/loop.ts';
import { mcpLoop } from './adapter-loops/mcp.ts';
import type { AdapterRow } from './adapters-report.ts';
import { aiSdkLoop, aiSdkTools, aiSdkToolsCalling, writAiSdkTools } from './ai-sdk-loop.ts';

/** How long to sample each adapter. */
export interface AdaptersPlan {
  readonly rounds: number;
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly pairRounds: number;
  readonly pairTimeMs: number;
  readonly batchMs: number;
  readonly onProgress?: (message: string) => void;
}

/** `@writ/ai-sdk`, the target row: the same loop as the peers scenario's ai-sdk-loop cases. */
function aiSdkAdapterLoop(): AdapterLoop {
  return {
    id: 'ai-sdk',
    loop: 'AI SDK generateText, MockLanguageModelV4',
    adapter: '@writ/ai-sdk writTools (target)',
    none: () => aiSdkLoop(aiSdkTools(), false),
    adapted: (writ) => aiSdkLoop(writAiSdkTools(writ), false),
    direct: (call) => aiSdkLoop(aiSdkToolsCalling(call), false),
  };
}

/** Every adapter measured, the target row first. Claude Agent SDK: see docs/performance.md (spawns its CLI). */
export const ADAPTER_LOOPS: readonly (() => AdapterLoop | Promise<AdapterLoop>)[] = [
  aiSdkAdapterLoop,
  langchainLoop,
  openAiAgentsLoop,
  mastraLoop,
  mcpLoop,
  googleAdkLoop,
  strandsLoop,
  genkitLoop,
];

/** A run that also adds its CPU time (user + system, µs) to `cpu`. */
function withCpu(run: Run, cpu: number[]): Run {
  return async () => {
    const from = process.cpuUsage();
    const value = await run();
    const used = process.cpuUsage(from);
    cpu.push(used.user + used.system);
    return value;
  };
}

const p50 = (values: readonly number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** Samples one adapter's three cases and its two pairs. */
async function measure(loop: AdapterLoop, plan: AdaptersPlan): Promise<AdapterRow> {
  const opened: BenchWrit[] = [];
  try {
    const inLoop = createCoreWrit();
    const directInLoop = createCoreWrit();
    opened.push(inLoop, directInLoop);
    const inside = (bench: BenchWrit) =>
      loop.ownTasks === true ? {} : { inside: <T>(body: () => Promise<T>) => bench.inTask(body) };
    const runs = {
      none: await loop.none(),
      adapter: await loop.adapted(inLoop.writ),
      direct: await loop.direct((args) => directInLoop.tool.execute(args), directInLoop.writ),
      hooked: loop.hooked === undefined ? undefined : await loop.hooked(),
    };
    // each phase gets its own cases, each adding its runs' CPU time to a list of its own
    const cases = () => {
      const cpu = { none: [] as number[], adapter: [] as number[], direct: [] as number[] };
      return {
        cpu,
        none: { id: `${loop.id}-loop`, fn: withCpu(runs.none, cpu.none) },
        adapter: {
          id: `${loop.id}-loop-writ`,
          fn: withCpu(runs.adapter, cpu.adapter),
          ...inside(inLoop),
          afterRound: () => inLoop.flush(),
        },
        direct: {
          id: `${loop.id}-loop-writ-direct`,
          fn: withCpu(runs.direct, cpu.direct),
          ...inside(directInLoop),
          afterRound: () => directInLoop.flush(),
        },
      };
    };
    const inRounds = cases();
    const { onProgress: _, ...sampling } = plan;
    const rounds = await sampleLatency([inRounds.none, inRounds.adapter, inRounds.direct], sampling);
    const pairPlan = { rounds: plan.pairRounds, timeMs: plan.pairTimeMs, batchMs: plan.batchMs };
    const a = cases();
    const withAdapter = await samplePair(a.none, a.adapter, pairPlan);
    const d = cases();
    const withDirect = await samplePair(d.none, d.direct, pairPlan);
    let hook: { wall: number; cpu: number } | undefined;
    if (runs.hooked !== undefined) {
      const cpu = { none: [] as number[], hooked: [] as number[] };
      const pair = await samplePair(
        { id: `${loop.id}-loop`, fn: withCpu(runs.none, cpu.none) },
        { id: `${loop.id}-loop-noop-hook`, fn: withCpu(runs.hooked, cpu.hooked) },
        pairPlan,
      );
      hook = { wall: p50(pair.subject) - p50(pair.base), cpu: p50(cpu.hooked) - p50(cpu.none) };
    }
    const adapterAddsUs = p50(withAdapter.subject) - p50(withAdapter.base);
    const directAddsUs = p50(withDirect.subject) - p50(withDirect.base);
    const adapterAddsCpuUs = p50(a.cpu.adapter) - p50(a.cpu.none);
    const directAddsCpuUs = p50(d.cpu.direct) - p50(d.cpu.none);
    return {
      id: loop.id,
      loop: loop.loop,
      adapter: loop.adapter,
      p50Us: {
        none: p50(rounds.get(inRounds.none.id) ?? []),
        adapter: p50(rounds.get(inRounds.adapter.id) ?? []),
        direct: p50(rounds.get(inRounds.direct.id) ?? []),
      },
      adapterAddsUs,
      directAddsUs,
      adapterAddsCpuUs,
      directAddsCpuUs,
      gap: adapterAddsUs / directAddsUs,
      cpuGap: adapterAddsCpuUs / directAddsCpuUs,
      hookAddsUs: hook?.wall ?? null,
      hookAddsCpuUs: hook?.cpu ?? null,
      samples: withAdapter.subject.length + withDirect.subject.length,
    };
  } finally {
    for (const bench of opened) await bench.close().catch(() => undefined);
    await loop.close?.();
  }
}

/** Measures every adapter in turn. */
export async function runAdapters(plan: AdaptersPlan): Promise<AdapterRow[]> {
  const rows: AdapterRow[] = [];
  for (const make of ADAPTER_LOOPS) {
    const loop = await make();
    const from = performance.now();
    rows.push(await measure(loop, plan));
    plan.onProgress?.(`${loop.id} in ${((performance.now() - from) / 1000).toFixed(1)} s`);
  }
  return rows;
}

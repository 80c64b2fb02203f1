// What the A/B scripts comparing two builds of a package in one process share (ab-adapter-builds.ts,
// ab-mcp-builds.ts): a side per build and way, rounds of `ROUND_MS` in ABBA order after a warm-up, and the
// table of p50 wall time and CPU time per call with each build's adapter gap.
import { performance } from 'node:perf_hooks';
import type * as Core from '@writ/core';
import { createAllowAllPolicy, createDiscardingSink, createForgetfulBroker } from './fixtures.ts';
import { quantile } from './sampling.ts';

/** The command line of a build A/B script: the two package directories and the seconds (default 20). */
export function buildArgs(usage: string): { rootA: string; rootB: string; seconds: number } {
  const [rootA, rootB, secondsArg] = process.argv.slice(2);
  if (rootA === undefined || rootB === undefined) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { rootA, rootB, seconds: Number(secondsArg ?? 20) };
}

/** The `@writ/core` set-up of every side, made with that build's `createWrit` (as fixtures.ts createCoreWrit). */
export function coreWritOf(core: typeof Core): Core.Writ {
  return core.createWrit({
    policy: createAllowAllPolicy(),
    audit: createDiscardingSink({ encode: 'canonical' }),
    credentials: createForgetfulBroker(),
    durability: 'async',
  });
}

/** One way of calling the benchmark tool, with one build. */
export interface BuildSide {
  readonly label: string;
  readonly way: string;
  readonly call: () => Promise<unknown>;
  /** Runs a round inside a task of this side's Writ (omitted: the call makes its own task). */
  readonly inTask?: (body: () => Promise<void>) => Promise<void>;
  readonly flush: () => Promise<void>;
  readonly wall: number[];
  cpuUs: number;
  calls: number;
}

/** A side with nothing measured yet. */
export function buildSide(
  label: string,
  way: string,
  parts: Pick<BuildSide, 'call' | 'flush' | 'inTask'>,
): BuildSide {
  return { label, way, ...parts, wall: [], cpuUs: 0, calls: 0 };
}

/** Calls `s` back to back for `roundMs`, recording wall time per call and CPU time (user + system) if `record`. */
async function round(s: BuildSide, record: boolean, roundMs: number): Promise<void> {
  const body = async () => {
    const cpu = process.cpuUsage();
    const until = performance.now() + roundMs;
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
  };
  await (s.inTask === undefined ? body() : s.inTask(body));
  await s.flush();
}

/**
 * Pairs each way's before and after sides, warms each up for three rounds, then samples `seconds` of
 * rounds in ABBA order (the order flips every round, so a shared machine's drift lands on both alike).
 * Returns the pairs and the number of recorded rounds per side.
 */
export async function sampleBuilds(
  before: readonly BuildSide[],
  after: readonly BuildSide[],
  seconds: number,
  roundMs: number,
): Promise<{ ways: (readonly [BuildSide, BuildSide])[]; rounds: number }> {
  const ways = before.map((b, i) => [b, after[i] as BuildSide] as const);
  for (const [a, b] of ways)
    for (let i = 0; i < 3; i++) for (const s of [a, b]) await round(s, false, roundMs);
  const rounds = Math.max(2, Math.round((seconds * 1000) / roundMs / 2 / ways.length));
  for (let r = 0; r < rounds; r++) {
    for (const [a, b] of ways) for (const s of r % 2 === 0 ? [a, b] : [b, a]) await round(s, true, roundMs);
  }
  return { ways, rounds };
}

/** p50 wall time and mean CPU time per call (µs) of a side. */
export const buildStats = (s: BuildSide) => ({
  p50: quantile(
    [...s.wall].sort((x, y) => x - y),
    0.5,
  ),
  cpu: s.cpuUs / s.calls,
});

const f = (v: number) => v.toFixed(1).padStart(8);

/**
 * Prints each way's before and after figures, then each build's adapter gap: what `adapter` adds to the
 * loop without Writ (`none`) ÷ what `direct` (`writ.tool` called from the loop) adds to it.
 */
export function printBuilds(
  ways: readonly (readonly [BuildSide, BuildSide])[],
  heading: string,
  gap: { readonly name: string; readonly adapter: string; readonly direct: string; readonly none: string },
): void {
  console.log(heading);
  console.log(`${'way'.padEnd(18)}  p50 before  p50 after   ratio  cpu before  cpu after   ratio`);
  for (const [a, b] of ways) {
    const sa = buildStats(a);
    const sb = buildStats(b);
    console.log(
      `${a.way.padEnd(18)}  ${f(sa.p50)}    ${f(sb.p50)}  ${(sb.p50 / sa.p50).toFixed(3)}    ${f(sa.cpu)}   ${f(sb.cpu)}  ${(sb.cpu / sa.cpu).toFixed(3)}`,
    );
  }
  const byWay = (side: 0 | 1, way: string) =>
    buildStats((ways.find(([a]) => a.way === way) as readonly [BuildSide, BuildSide])[side]);
  for (const [side, label] of [
    [0, 'before'],
    [1, 'after'],
  ] as const) {
    const adapted = byWay(side, gap.adapter);
    const direct = byWay(side, gap.direct);
    const none = byWay(side, gap.none);
    const ratio = (k: 'p50' | 'cpu') => (adapted[k] - none[k]) / (direct[k] - none[k]);
    console.log(
      `${gap.name} adapter gap, ${label}: adds p50 ${f(adapted.p50 - none.p50)} vs ${f(direct.p50 - none.p50)} µs = ${ratio('p50').toFixed(3)}×, CPU ${f(adapted.cpu - none.cpu)} vs ${f(direct.cpu - none.cpu)} µs = ${ratio('cpu').toFixed(3)}×`,
    );
  }
}

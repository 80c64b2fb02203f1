// CPU time per call, work deferred off the call's path included: Writ's async audit encodes, hashes and
// chains its records after the call returns, so wall-clock latency alone would hide that work. Each case
// runs calls back to back, then its `afterRound` (the flush that drains the deferred work), all inside
// one process.cpuUsage window; cases alternate round by round so drift lands on each alike.
import { performance } from 'node:perf_hooks';
import type { CpuPerCall } from '../results-schema.ts';
import type { LatencyCase } from '../sampling.ts';

/** How long to measure: `rounds` rounds of `timeMs` per case. */
export interface CpuPlan {
  readonly rounds: number;
  readonly timeMs: number;
}

/** CPU µs per call (user + system) of each case, the drain after each round included. */
export async function measureCpuPerCall(cases: readonly LatencyCase[], plan: CpuPlan): Promise<CpuPerCall[]> {
  const totals = new Map(cases.map((c) => [c.id, { cpuUs: 0, calls: 0 }]));
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const total = totals.get(c.id) as { cpuUs: number; calls: number };
      const body = async () => {
        const start = process.cpuUsage();
        const until = performance.now() + plan.timeMs;
        let calls = 0;
        while (performance.now() < until) {
          await c.fn();
          calls++;
        }
        await c.afterRound?.();
        const used = process.cpuUsage(start);
        total.cpuUs += used.user + used.system;
        total.calls += calls;
      };
      await (c.inside ? c.inside(body) : body());
    }
  }
  return cases.map((c) => {
    const total = totals.get(c.id) as { cpuUs: number; calls: number };
    return { id: c.id, calls: total.calls, cpuUsPerCall: total.calls === 0 ? 0 : total.cpuUs / total.calls };
  });
}

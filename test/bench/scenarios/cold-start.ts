// Scenario 5: cold start. `import 'writ'` and the first call of a zero-config Writ (createWrit, keys,
// Cedar, audit log, task start, one call), each in a fresh child process (cold-start-child.ts), next to
// the import of baselines in the same run, interleaved: writ, parts, baseline, baseline, …, then the
// reverse order. Sampling budget: `runs` × 6 fresh processes, about 1.5 s each on the reference machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TempDirs } from '../fixtures.ts';
import type { ColdStartResult } from '../results-schema.ts';
import { quantile } from '../sampling.ts';

const CHILD = fileURLToPath(new URL('../cold-start-child.ts', import.meta.url));

/** The floor of `import 'writ'`: what it needs with nothing else of Writ (zod, then the OTel API). */
export const COLD_START_FLOOR = 'zod+@opentelemetry/api';

/**
 * Modules whose import is measured next to `writ`'s: the OTel API every peer needs; zod, which `writ`
 * needs for its options; both (the floor); `@writ/core`, what `writ` loads besides its own entry.
 */
export const COLD_START_BASELINES = ['@opentelemetry/api', 'zod', COLD_START_FLOOR, '@writ/core'] as const;

interface StepTime {
  readonly ms: number;
  readonly cpuMs: number;
}

interface ChildAnswer {
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly firstCallMs?: number;
  readonly firstCallCpuMs?: number;
  readonly firstCallParts?: Record<string, StepTime>;
  readonly secondCallMs?: number;
  readonly parts?: Record<string, StepTime>;
}

function child(args: readonly string[]): ChildAnswer {
  const run = spawnSync(process.execPath, [CHILD, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`cold-start child ${args[0]} failed: ${run.stderr.slice(0, 500)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as ChildAnswer;
}

const median = (values: readonly number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** Per step, the medians of its wall and CPU times over the processes. */
function medianSteps(runs: readonly (Record<string, StepTime> | undefined)[]): Record<string, StepTime> {
  const names = Object.keys(runs[0] ?? {});
  return Object.fromEntries(
    names.map((name) => {
      const steps = runs.map((r) => r?.[name] ?? { ms: 0, cpuMs: 0 });
      return [name, { ms: median(steps.map((s) => s.ms)), cpuMs: median(steps.map((s) => s.cpuMs)) }];
    }),
  );
}

/** Runs `runs` fresh processes per subject, interleaved, and returns medians. */
export async function runColdStart(options: {
  readonly temps: TempDirs;
  readonly runs: number;
  readonly onProgress?: (message: string) => void;
}): Promise<ColdStartResult> {
  const writ: ChildAnswer[] = [];
  const parts: ChildAnswer[] = [];
  const baselines = new Map<string, ChildAnswer[]>(COLD_START_BASELINES.map((m) => [m, []]));
  for (let run = 0; run < options.runs; run++) {
    options.onProgress?.(`run ${run + 1}/${options.runs}`);
    const ours = async () => {
      writ.push(child(['writ', await options.temps.make(`cold-${run}`)]));
      parts.push(child(['parts', await options.temps.make(`cold-parts-${run}`)]));
    };
    const order = run % 2 === 0 ? COLD_START_BASELINES : [...COLD_START_BASELINES].reverse();
    if (run % 2 === 0) await ours();
    for (const module of order) baselines.get(module)?.push(child([module]));
    if (run % 2 === 1) await ours();
  }
  const importMs = median(writ.map((a) => a.importMs));
  return {
    runs: options.runs,
    importMs,
    importCpuMs: median(writ.map((a) => a.importCpuMs)),
    firstCallMs: median(writ.map((a) => a.firstCallMs ?? 0)),
    firstCallCpuMs: median(writ.map((a) => a.firstCallCpuMs ?? 0)),
    firstCallParts: medianSteps(writ.map((a) => a.firstCallParts)),
    startParts: medianSteps(parts.map((a) => a.parts)),
    secondCallMs: median(writ.map((a) => a.secondCallMs ?? 0)),
    baselines: COLD_START_BASELINES.map((module) => {
      const answers = baselines.get(module) ?? [];
      const ms = median(answers.map((a) => a.importMs));
      return {
        module,
        importMs: ms,
        importCpuMs: median(answers.map((a) => a.importCpuMs)),
        ratio: importMs / ms,
      };
    }),
  };
}

// Scenario 5: cold start. `import 'writ'` and the first call of a zero-config Writ (createWrit, keys,
// Cedar, audit log, task start, one call), each in a fresh child process (cold-start-child.ts), next to
// the import of baselines in the same run, interleaved: writ, baseline, baseline, writ, …
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TempDirs } from '../fixtures.ts';
import type { ColdStartResult } from '../results-schema.ts';
import { quantile } from '../sampling.ts';

const CHILD = fileURLToPath(new URL('../cold-start-child.ts', import.meta.url));

/**
 * Modules whose import is measured next to `writ`'s: the OTel API every peer needs; zod, which `writ`
 * needs (its floor); `@writ/core`, what `writ` loads eagerly besides its own options schemas.
 */
export const COLD_START_BASELINES = ['@opentelemetry/api', 'zod', '@writ/core'] as const;

interface ChildAnswer {
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly firstCallMs: number | null;
  readonly secondCallMs: number | null;
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

/** Runs `runs` fresh processes per subject, interleaved, and returns medians. */
export async function runColdStart(options: {
  readonly temps: TempDirs;
  readonly runs: number;
  readonly onProgress?: (message: string) => void;
}): Promise<ColdStartResult> {
  const writ: ChildAnswer[] = [];
  const baselines = new Map<string, number[]>(COLD_START_BASELINES.map((m) => [m, []]));
  for (let run = 0; run < options.runs; run++) {
    options.onProgress?.(`run ${run + 1}/${options.runs}`);
    const order = run % 2 === 0 ? COLD_START_BASELINES : [...COLD_START_BASELINES].reverse();
    if (run % 2 === 0) writ.push(child(['writ', await options.temps.make(`cold-${run}`)]));
    for (const module of order) baselines.get(module)?.push(child([module]).importMs);
    if (run % 2 === 1) writ.push(child(['writ', await options.temps.make(`cold-${run}`)]));
  }
  const importMs = median(writ.map((a) => a.importMs));
  return {
    runs: options.runs,
    importMs,
    importCpuMs: median(writ.map((a) => a.importCpuMs)),
    firstCallMs: median(writ.map((a) => a.firstCallMs ?? 0)),
    secondCallMs: median(writ.map((a) => a.secondCallMs ?? 0)),
    baselines: COLD_START_BASELINES.map((module) => {
      const ms = median(baselines.get(module) ?? []);
      return { module, importMs: ms, ratio: importMs / ms };
    }),
  };
}

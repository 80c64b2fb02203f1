// `import 'writ'` from two builds of writ + @writ/core, each in fresh processes, in ABBA rounds, next to
// the floor (zod, then @opentelemetry/api) in the same rounds: before and after a change to the import.
//
//   (cd packages/core && npx tsup) && cp -r packages/core/dist packages/core/.ab-before    # the old sources
//   (cd packages/writ && npx tsup) && cp -r packages/writ/dist packages/writ/.ab-before
//   …the change, built again…
//   node test/bench/ab-cold-import.ts .ab-before dist 12
//
// Each side names a directory inside packages/core and packages/writ (e.g. `.ab-before`, `dist`); the
// child resolves `writ` and `@writ/core` (and its subpaths) to the files there. Prints medians of wall
// and CPU milliseconds of the import, and of `createWrit` + `ready()` right after it (a fresh directory:
// keys and log created, the shipped Cedar policies loaded).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantile } from './sampling.ts';

const [before = '.ab-before', after = 'dist', roundsArg = '12'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const root = fileURLToPath(new URL('../..', import.meta.url));

// one import in a fresh process; `dists` swaps packages/{core,writ}/dist/ for packages/{core,writ}/<dists>/
const CHILD = `
import { registerHooks } from 'node:module';
const [what, dists] = process.argv.slice(1);
if (dists !== 'dist') {
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      return { ...resolved, url: resolved.url.replace(/\\/packages\\/(core|writ)\\/dist\\//, '/packages/$1/' + dists + '/') };
    },
  });
}
const timed = async (step) => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await step();
  const used = process.cpuUsage(cpu);
  return [value, { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 }];
};
const [loaded, imported] = await timed(async () => {
  let last;
  for (const module of what.split('+')) last = await import(module);
  return last;
});
const answer = { imported };
if (what === 'writ' && process.argv[3] !== undefined) {
  // createWrit + ready(): the zero-config runtime's start (keys and log created in a fresh directory)
  const [writ, started] = await timed(async () => {
    const made = loaded.createWrit({ dir: process.argv[3], durability: 'async' });
    await made.ready();
    return made;
  });
  answer.started = started;
  await writ.close();
}
console.log(JSON.stringify(answer));
`;

interface Step {
  readonly ms: number;
  readonly cpuMs: number;
}

function once(what: string, dists: string): { imported: Step; started?: Step } {
  const dir = what === 'writ' ? mkdtempSync(join(tmpdir(), 'writ-ab-cold-')) : undefined;
  try {
    const args = ['--input-type=module', '-e', CHILD, what, dists, ...(dir === undefined ? [] : [dir])];
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr.slice(0, 500));
    return JSON.parse(run.stdout.trim()) as { imported: Step; started?: Step };
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

const subjects = [
  { label: `writ (${before})`, what: 'writ', dists: before },
  { label: `writ (${after})`, what: 'writ', dists: after },
  { label: 'floor: zod, then @opentelemetry/api', what: 'zod+@opentelemetry/api', dists: 'dist' },
];
const samples = subjects.map(() => [] as { imported: Step; started?: Step }[]);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
  for (const i of order) samples[i]?.push(once(subjects[i]?.what ?? '', subjects[i]?.dists ?? ''));
}
const median = (values: number[]) =>
  quantile(
    values.sort((a, b) => a - b),
    0.5,
  );
const column = (values: number[]) => median(values).toFixed(1).padStart(7);
console.log(
  `${rounds} rounds (ABBA), medians        import: ms   CPU ms   createWrit + ready(): ms   CPU ms`,
);
for (const [i, subject] of subjects.entries()) {
  const s = samples[i] ?? [];
  const started = s.flatMap((x) => (x.started === undefined ? [] : [x.started]));
  console.log(
    `${subject.label.padEnd(40)} ${column(s.map((x) => x.imported.ms))}  ${column(s.map((x) => x.imported.cpuMs))}` +
      (started.length === 0
        ? ''
        : `                   ${column(started.map((x) => x.ms))}  ${column(started.map((x) => x.cpuMs))}`),
  );
}

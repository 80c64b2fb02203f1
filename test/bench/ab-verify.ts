// Compares two builds of @writ/audit on `verifyLog` (or `verifyFleet`) over one large log, each run in a
// fresh process as `writ verify` runs, in ABBA rounds with the floor (read + SHA-256 + tree on 2 threads,
// `verify-floor-child.ts`) run between them, so a shared machine's drift lands on all alike:
//
//   cp -r packages/audit/dist packages/audit/.ab-before      # the build before the change
//   node test/bench/ab-verify.ts packages/audit/.ab-before packages/audit/dist <audit dir> <verifier key> 3
//   node test/bench/ab-verify.ts … 2 --fleet 2               # a bundle of 2 members (hard links)
//
// Both directories must sit inside packages/audit (their imports resolve from there). Prints, per side,
// every run's wall seconds and CPU seconds (all threads of the process), the best rate and the medians.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Run {
  readonly ok: boolean;
  readonly reason?: string;
  readonly records: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);

if (argv[0] === '--child') {
  // one verify with the build in argv[1]: a log (argv[2], key argv[3]) or a fleet bundle (`--fleet`)
  const [, dist, dir, key, mode] = argv as [string, string, string, string, string | undefined];
  const audit = (await import(pathToFileURL(resolve(dist, 'index.js')).href)) as typeof import('@writ/audit');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const verdict =
    mode === '--fleet'
      ? await audit.verifyFleet(dir, { fleetKey: key })
      : await audit.verifyLog(dir, { verifierKey: key });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const bad = 'firstBad' in verdict ? verdict.firstBad?.reason : (verdict as { reason?: string }).reason;
  console.log(
    JSON.stringify({
      ok: verdict.ok,
      reason: bad,
      records: verdict.records,
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
    }),
  );
  process.exit(0);
}

const fleetAt = argv.indexOf('--fleet');
const members = fleetAt === -1 ? 0 : Number(argv.splice(fleetAt, 2)[1]);
const [distA, distB, logDir, verifierKey, roundsArg] = argv;
if (distA === undefined || distB === undefined || logDir === undefined || verifierKey === undefined) {
  console.error('usage: ab-verify.ts <dist A> <dist B> <audit dir> <verifier key> [rounds] [--fleet N]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 3);

const child = (args: string[]): Run =>
  JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 }).trim()) as Run;

let target = logDir;
let key = verifierKey;
let floorDirs = logDir;
let temp: string | undefined;
if (members > 0) {
  temp = await mkdtemp(join(tmpdir(), 'ab-verify-'));
  // imported here, not in the children: it loads the workspace's @writ/audit
  const { fleetBundle } = await import('./scenarios/fleet-bundle.ts');
  const bundle = await fleetBundle(logDir, join(temp, 'bundle'), members);
  target = bundle.dir;
  key = bundle.fleetKey;
  floorDirs = bundle.memberDirs.join(',');
}

const runs: Record<'A' | 'B' | 'floor', Run[]> = { A: [], B: [], floor: [] };
const verify = (side: 'A' | 'B') => {
  const run = child([
    join(here, 'ab-verify.ts'),
    '--child',
    side === 'A' ? distA : distB,
    target,
    key,
    ...(members > 0 ? ['--fleet'] : []),
  ]);
  if (!run.ok) throw new Error(`${side} does not verify: ${run.reason}`);
  runs[side].push(run);
};
const floor = () =>
  runs.floor.push(
    child([join(here, 'verify-floor-child.ts'), floorDirs, '2', ...(members > 0 ? [] : ['--tree'])]),
  );
const load = [loadavg()[0] as number];
try {
  for (let r = 0; r < rounds; r++) {
    const order: ('A' | 'B')[] = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    verify(order[0] as 'A');
    floor();
    verify(order[1] as 'B');
    load.push(loadavg()[0] as number);
  }
} finally {
  if (temp !== undefined) await rm(temp, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};
const fmt = (n: number, d = 2) => n.toFixed(d);
console.log(
  `${members > 0 ? `verifyFleet, ${members} members` : 'verifyLog'}; ${rounds} ABBA rounds; load average ${load.map((l) => fmt(l, 1)).join(' → ')}`,
);
for (const side of ['A', 'B', 'floor'] as const) {
  const rs = runs[side];
  const rates = rs.map((r) => r.records / r.seconds);
  const label = side === 'A' ? `A ${distA}` : side === 'B' ? `B ${distB}` : 'floor';
  console.log(
    `${label.padEnd(34)} best ${Math.round(Math.max(...rates)).toLocaleString('en-US')} /s, median ${Math.round(median(rates)).toLocaleString('en-US')} /s; wall ${rs.map((r) => fmt(r.seconds)).join(', ')} s; CPU ${rs.map((r) => fmt(r.cpuSeconds)).join(', ')} s (median ${fmt(median(rs.map((r) => r.cpuSeconds)))})`,
  );
}
const ratio = (f: (r: Run) => number) => median(runs.B.map(f)) / median(runs.A.map(f));
console.log(
  `B / A: median wall ${fmt(
    ratio((r) => r.seconds),
    3,
  )}×, median CPU ${fmt(
    ratio((r) => r.cpuSeconds),
    3,
  )}×`,
);

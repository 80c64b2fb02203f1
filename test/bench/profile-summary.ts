// Summarises a V8 .cpuprofile: self time per function (and per file), and total (inclusive) time of the
// functions that dominate, as percentages of the sampled time.
//
//   node test/bench/profile-summary.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (file === undefined) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const short =
    url === ''
      ? '(native)'
      : url.includes('/node_modules/')
        ? url.slice(url.lastIndexOf('/node_modules/') + 14)
        : relative(process.cwd(), url);
  return `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
};
const fileOf = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  if (url === '') return `(${n.callFrame.functionName || 'native'})`;
  return url.includes('/node_modules/')
    ? url.slice(url.lastIndexOf('/node_modules/') + 14)
    : relative(process.cwd(), url);
};

const self = new Map<string, number>();
const selfFile = new Map<string, number>();
const total = new Map<string, number>();
let sum = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  if (node === undefined) return;
  sum += dt;
  if (node.callFrame.functionName === '(idle)') {
    idle += dt;
    return;
  }
  self.set(where(node), (self.get(where(node)) ?? 0) + dt);
  selfFile.set(fileOf(node), (selfFile.get(fileOf(node)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at);
    if (n === undefined) break;
    const key = where(n);
    if (seen.has(key)) continue;
    seen.add(key);
    total.set(key, (total.get(key) ?? 0) + dt);
  }
});

const busy = sum - idle;
const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)}%`;
const list = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  const rows = [...m].filter(([k]) => !k.startsWith('(root)')).sort((a, b) => b[1] - a[1]);
  for (const [k, v] of rows.slice(0, n)) console.log(`${pct(v)}  ${k}`);
};
console.log(
  `${(sum / 1e6).toFixed(1)} s sampled, ${((100 * idle) / sum).toFixed(1)}% idle; percentages of busy time`,
);
list('self time by file', selfFile, 15);
list('self time by function', self, top);
list('total time by function', total, top);

// The floor of `verifyLog`, in a process of its own like `verify-child.ts`: what any verifier of the log
// must do with nothing else of Writ — read every segment and SHA-256 every record's bytes (RFC 6962 leaf
// hash, hex digest: the cheapest result node:crypto makes) — on `threads` worker threads, each reading
// byte ranges of ~1 MiB (a range owns the lines that start in it) with `readSync` into one reused buffer.
// With `--tree`, the calling thread also folds the leaf hashes into the RFC 6962 root (n − 1 node hashes),
// which the design requires as well. Prints one JSON line: records, seconds, CPU seconds of the process.
//
//   node test/bench/verify-floor-child.ts <audit dir>[,<audit dir>…] <threads> [--tree]
//   (several directories: the logs of a fleet, one after the other; --tree then folds them as one tree)
import { hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { hash } = require('node:crypto');
let buf = Buffer.allocUnsafeSlow(4 << 20);
parentPort.on('message', ({ fd, start, end }) => {
  // bytes from start - 1 (to see whether start begins a line) to past end (to finish the last line)
  const base = start === 0 ? 0 : start - 1;
  let len = 1;
  buf[0] = 10;
  for (;;) {
    if (len === buf.length) { const b = Buffer.allocUnsafeSlow(buf.length * 2); buf.copy(b); buf = b; }
    const want = Math.max(end - base + 1 + 65536 - len, 65536);
    const n = readSync(fd, buf, len, Math.min(want, buf.length - len), base + len - 1);
    if (n === 0) break;
    len += n;
    // the newline at or after offset end - 1 ends the last line that starts before end
    if (buf.lastIndexOf(10, len - 1) >= end - base) break;
  }
  const data = buf.subarray(0, len);
  let at = start === 0 ? 1 : data.indexOf(10, 1) + 1;
  const hexes = [];
  while (at > 0 && at - 1 + base < end) {
    const nl = data.indexOf(10, at);
    if (nl === -1) break;
    const prefix = data[at - 1];
    data[at - 1] = 0;
    hexes.push(hash('sha256', data.subarray(at - 1, nl), 'hex'));
    data[at - 1] = prefix;
    at = nl + 1;
  }
  const leaves = Buffer.from(new ArrayBuffer(hexes.length * 32));
  leaves.write(hexes.join(''), 'hex');
  parentPort.postMessage(leaves.buffer, [leaves.buffer]);
});
`;

const [dir, threadsArg, treeArg] = process.argv.slice(2);
if (dir === undefined || threadsArg === undefined) {
  console.error('usage: verify-floor-child.ts <audit dir> <threads> [--tree]');
  process.exit(2);
}
const threads = Number(threadsArg);
const tree = treeArg === '--tree';
const RANGE = 1 << 20;
const cpu = process.cpuUsage();
const started = performance.now();
const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true }));
const jobs: { fd: number; start: number; end: number }[] = [];
const fds: number[] = [];
const segments = dir.split(',').flatMap((d) =>
  readdirSync(d)
    .filter((n) => /^\d{12}\.jsonl$/.test(n))
    .sort()
    .map((n) => join(d, n)),
);
for (const path of segments) {
  const fd = openSync(path, 'r');
  fds.push(fd);
  const size = fstatSync(fd).size;
  for (let start = 0; start < size; start += RANGE)
    jobs.push({ fd, start, end: Math.min(size, start + RANGE) });
}
// the RFC 6962 root folded from the leaves in order, as a compact range of perfect subtree roots
const stack: Buffer[] = [];
let size = 0;
const node = Buffer.alloc(65);
node[0] = 1;
function append(leaf: Buffer): void {
  let h = leaf;
  for (let rest = size; rest % 2 === 1; rest = (rest - 1) / 2) {
    (stack.pop() as Buffer).copy(node, 1);
    h.copy(node, 33);
    h = Buffer.from(hash('sha256', node, 'binary'), 'binary');
  }
  stack.push(h);
  size++;
}
let records = 0;
const results: Promise<ArrayBuffer>[] = [];
const queues = workers.map(() => [] as ((b: ArrayBuffer) => void)[]);
for (const [i, w] of workers.entries()) {
  w.on('message', (b: ArrayBuffer) => {
    (queues[i] as ((b: ArrayBuffer) => void)[]).shift()?.(b);
  });
}
let next = 0;
const dispatch = () => {
  const k = next++;
  const job = jobs[k];
  if (job === undefined) return;
  const w = k % threads;
  results.push(
    new Promise((resolve) => {
      (queues[w] as ((b: ArrayBuffer) => void)[]).push(resolve);
      (workers[w] as Worker).postMessage(job);
    }),
  );
};
for (let i = 0; i < threads * 3; i++) dispatch();
for (let k = 0; k < jobs.length; k++) {
  const leaves = Buffer.from(await (results[k] as Promise<ArrayBuffer>));
  dispatch();
  records += leaves.length / 32;
  if (tree) for (let at = 0; at < leaves.length; at += 32) append(leaves.subarray(at, at + 32));
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
for (const fd of fds) closeSync(fd);
await Promise.all(workers.map((w) => w.terminate()));
console.log(JSON.stringify({ threads, tree, records, seconds, cpuSeconds: (used.user + used.system) / 1e6 }));

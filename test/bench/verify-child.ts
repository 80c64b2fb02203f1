// `verifyLog` in a process of its own, as `writ verify` runs: the figure does not depend on what the
// earlier scenarios left in the bench process (heap, timers, worker threads). Prints one JSON line.
//
//   node test/bench/verify-child.ts <audit dir> <verifier key>
import { performance } from 'node:perf_hooks';
import { verifyLog } from '@writ/audit';

const [dir, verifierKey] = process.argv.slice(2);
if (dir === undefined || verifierKey === undefined) {
  console.error('usage: verify-child.ts <audit dir> <verifier key>');
  process.exit(2);
}
const cpu = process.cpuUsage();
const started = performance.now();
const verdict = await verifyLog(dir, { verifierKey });
const seconds = (performance.now() - started) / 1000;
// CPU of this process's threads (the leaf-hashing worker included)
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
console.log(
  JSON.stringify({ ok: verdict.ok, reason: verdict.reason, records: verdict.records, seconds, cpuSeconds }),
);

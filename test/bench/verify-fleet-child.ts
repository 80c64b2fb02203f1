// `verifyFleet` over a bundle in a process of its own, as `writ verify --fleet` runs. Prints one JSON line:
// the verdict, records in all logs, seconds, CPU seconds of the process (all threads).
//
//   node test/bench/verify-fleet-child.ts <bundle dir> <fleet key>
import { performance } from 'node:perf_hooks';
import { verifyFleet } from '@writ/audit';

const [dir, fleetKey] = process.argv.slice(2);
if (dir === undefined || fleetKey === undefined) {
  console.error('usage: verify-fleet-child.ts <bundle dir> <fleet key>');
  process.exit(2);
}
const cpu = process.cpuUsage();
const started = performance.now();
const verdict = await verifyFleet(dir, { fleetKey });
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    ok: verdict.ok,
    reason: verdict.firstBad?.reason,
    records: verdict.records,
    members: verdict.members.length,
    workers: verdict.workers,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
  }),
);

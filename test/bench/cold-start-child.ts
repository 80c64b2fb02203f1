// One cold start in a fresh process, as a serverless function pays it. Prints one JSON line.
//
//   node test/bench/cold-start-child.ts writ <dir>   import 'writ', then the first call of a zero-config Writ
//   node test/bench/cold-start-child.ts <module>     import <module> alone (a baseline: @opentelemetry/api, zod)
import { performance } from 'node:perf_hooks';

const [what, dir] = process.argv.slice(2);
if (what === undefined) {
  console.error('usage: cold-start-child.ts writ <dir> | <module>');
  process.exit(2);
}
const cpu = process.cpuUsage();
const started = performance.now();
const loaded = await import(what);
const importMs = performance.now() - started;
const importCpuMs = (() => {
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000;
})();
let firstCallMs: number | null = null;
let secondCallMs: number | null = null;
if (what === 'writ') {
  if (dir === undefined) throw new Error('cold-start-child.ts writ needs a directory');
  const { createWrit } = loaded as typeof import('writ');
  const { ARGS, TASK, lookupToolDefinition } = await import('./fixtures.ts');
  const from = performance.now();
  const writ = createWrit({ dir, durability: 'async' });
  const tool = writ.tool(lookupToolDefinition());
  const { localIdentity } = await writ.ready();
  if (localIdentity === undefined) throw new Error('the zero-config runtime has no local identity');
  const requester = await localIdentity.issueRequesterToken({ sub: 'alice@example.com', ttlSec: 3600 });
  await writ.task({ ...TASK, requester }, () => tool.execute(ARGS));
  firstCallMs = performance.now() - from;
  const again = performance.now();
  await writ.task({ ...TASK, requester }, () => tool.execute(ARGS));
  secondCallMs = performance.now() - again;
  await writ.close();
}
console.log(JSON.stringify({ importMs, importCpuMs, firstCallMs, secondCallMs }));

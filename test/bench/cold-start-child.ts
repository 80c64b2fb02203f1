// One cold start in a fresh process, as a serverless function pays it. Prints one JSON line.
//
//   node test/bench/cold-start-child.ts writ <dir>    import 'writ', then the first call of a zero-config Writ, in parts
//   node test/bench/cold-start-child.ts parts <dir>   the steps of the runtime's start (writ.ready()) one by one
//   node test/bench/cold-start-child.ts <module>      import <module> alone (a baseline: @opentelemetry/api, zod),
//                                                     or modules joined by + one after the other
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Wall and CPU (user + system, all threads) milliseconds of one step. */
export interface StepTime {
  readonly ms: number;
  readonly cpuMs: number;
}

async function time<T>(step: () => T | Promise<T>): Promise<[T, StepTime]> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await step();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return [value, { ms, cpuMs: (used.user + used.system) / 1000 }];
}

const [what, dir] = process.argv.slice(2);
if (what === undefined) {
  console.error('usage: cold-start-child.ts writ <dir> | parts <dir> | <module>');
  process.exit(2);
}

if (what === 'parts') {
  // the same steps as the runtime's start (packages/writ/src/create-writ.ts), each timed on its own
  if (dir === undefined) throw new Error('cold-start-child.ts parts needs a directory');
  await import('writ'); // loaded before the runtime starts, as in the writ child (core, zod, the OTel API)
  const [identity, importIdentity] = await time(() => import('@writ/identity'));
  const [policy, importPolicy] = await time(() => import('@writ/policy'));
  const [audit, importAudit] = await time(() => import('@writ/audit'));
  // Cedar's WebAssembly module, compiled and instantiated (what the engine's first use loads)
  const fromPolicy = createRequire(createRequire(import.meta.url).resolve('@writ/policy'));
  const [, cedarWasm] = await time(() => fromPolicy('@cedar-policy/cedar-wasm/nodejs'));
  const [engine, cedarPolicies] = await time(() => policy.createCedarEngine());
  const [, keys] = await time(() => identity.createLocalAuthority({ dir: join(dir, 'keys') }));
  const [sink, auditLog] = await time(() =>
    audit.createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') }),
  );
  await sink.close?.();
  engine.close();
  const parts = { importIdentity, importPolicy, importAudit, cedarWasm, cedarPolicies, keys, auditLog };
  console.log(JSON.stringify({ parts }));
} else {
  // `zod+@opentelemetry/api`: both, one after the other (what writ needs with nothing else of Writ)
  const [loaded, imported] = await time(async () => {
    let last: unknown;
    for (const module of what.split('+')) last = await import(module);
    return last;
  });
  const answer: Record<string, unknown> = { importMs: imported.ms, importCpuMs: imported.cpuMs };
  if (what === 'writ') {
    if (dir === undefined) throw new Error('cold-start-child.ts writ needs a directory');
    const { createWrit } = loaded as typeof import('writ');
    const { ARGS, TASK, lookupToolDefinition } = await import('./fixtures.ts');
    const from = performance.now();
    const fromCpu = process.cpuUsage();
    // options validated (the schemas built on first use), the tool defined; nothing started yet
    const [[writ, tool], create] = await time(() => {
      const made = createWrit({ dir, durability: 'async' });
      return [made, made.tool(lookupToolDefinition())] as const;
    });
    // the embedded components: packages loaded, keys, Cedar (wasm + policy set), the audit log
    const [{ localIdentity }, ready] = await time(() => writ.ready());
    if (localIdentity === undefined) throw new Error('the zero-config runtime has no local identity');
    const [requester, token] = await time(() =>
      localIdentity.issueRequesterToken({ sub: 'alice@example.com', ttlSec: 3600 }),
    );
    const [, firstTask] = await time(() => writ.task({ ...TASK, requester }, () => tool.execute(ARGS)));
    const used = process.cpuUsage(fromCpu);
    answer.firstCallMs = performance.now() - from;
    answer.firstCallCpuMs = (used.user + used.system) / 1000;
    answer.firstCallParts = { create, ready, token, firstTask };
    const [, second] = await time(() => writ.task({ ...TASK, requester }, () => tool.execute(ARGS)));
    answer.secondCallMs = second.ms;
    await writ.close();
  }
  console.log(JSON.stringify(answer));
}

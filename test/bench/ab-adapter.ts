// Where the adapter gap goes: the same @writ/core set-up (fixtures.ts createCoreWrit) called as writ.tool
// direct, through adaptTool without a tool call id, with a tool call id (the call ledger on), `check` then
// `run` with a tool call id (what the other adapters do per call: the framework's approval gate asks
// first), and the @writ/ai-sdk wrapped execute called by hand with the options the AI SDK passes.
// Alternating batches; CPU time per call from `process.cpuUsage` over each side's batches.
//
//   node test/bench/ab-adapter.ts [seconds=10]   (the seconds are shared by the four pairs)
import { adaptTool } from '@writ/core/adapter';
import { ARGS, createCoreWrit, LOOKUP_HINTS, lookupOrder } from './fixtures.ts';
import { quantile, samplePair } from './sampling.ts';
import { writAiSdkTools } from './scenarios/ai-sdk-loop.ts';
import { setUpTracing } from './tracing.ts';

const seconds = Number(process.argv[2] ?? 10);
const tracing = setUpTracing();
const bench = createCoreWrit();
const adapted = adaptTool('bench', { name: 'lookup_order' }, (args) => lookupOrder(args as typeof ARGS), {
  writ: bench.writ,
  tools: LOOKUP_HINTS,
});
const wrapped = writAiSdkTools(bench.writ).lookup_order as {
  execute: (input: unknown, options: unknown) => Promise<unknown>;
};
let n = 0;
const cases = {
  direct: () => bench.tool.execute(ARGS),
  adapted: () => adapted.run(ARGS),
  'adapted+callId': () => adapted.run(ARGS, { toolCallId: `call_${++n}` }),
  // what every adapter but @writ/ai-sdk does per call: decide first (the framework's approval gate), then run
  'check+run': async () => {
    const toolCallId = `call_${++n}`;
    await adapted.check(ARGS, { toolCallId });
    return adapted.run(ARGS, { toolCallId });
  },
  'ai-sdk execute': () =>
    wrapped.execute(ARGS, {
      toolCallId: `call_${++n}`,
      messages: [{ role: 'user', content: 'Where is order 42?' }],
    }),
};
const p50 = (v: number[]) =>
  quantile(
    [...v].sort((a, b) => a - b),
    0.5,
  );
/** `fn`, adding each call's CPU time (user + system, µs) to `into`. */
const withCpu = (fn: () => Promise<unknown>, into: number[]) => async () => {
  const from = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(from);
  into.push(used.user + used.system);
};
await bench.inTask(async () => {
  for (const [id, fn] of Object.entries(cases)) {
    if (id === 'direct') continue;
    const cpu = { base: [] as number[], subject: [] as number[] };
    const pair = await samplePair(
      { id: 'direct', fn: withCpu(cases.direct, cpu.base) },
      { id, fn: withCpu(fn, cpu.subject) },
      { rounds: 1, timeMs: (seconds * 1000) / (Object.keys(cases).length - 1), batchMs: 10 },
    );
    const b = p50(pair.base);
    const s = p50(pair.subject);
    const cb = p50(cpu.base);
    const cs = p50(cpu.subject);
    const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
    console.log(
      `${id.padEnd(16)} p50 ${s.toFixed(1)} µs vs direct ${b.toFixed(1)} µs: ${signed(s - b)} µs (${(s / b).toFixed(3)}×); CPU p50 ${cs.toFixed(0)} vs ${cb.toFixed(0)} µs: ${signed(cs - cb)} µs`,
    );
  }
});
await bench.close();
await tracing.shutdown();

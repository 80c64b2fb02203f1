// Where the adapter gap goes: the same @writ/core set-up (fixtures.ts createCoreWrit) called as writ.tool
// direct, through adaptTool without a tool call id, with a tool call id (the call ledger on), and the
// @writ/ai-sdk wrapped execute called by hand with the options the AI SDK passes. Alternating batches.
//
//   node test/bench/ab-adapter.ts [seconds=10]
import { adaptTool } from '@writ/core/adapter';
import { ARGS, createCoreWrit, lookupOrder } from './fixtures.ts';
import { quantile, samplePair } from './sampling.ts';
import { writAiSdkTools } from './scenarios/ai-sdk-loop.ts';
import { setUpTracing } from './tracing.ts';

const seconds = Number(process.argv[2] ?? 10);
const tracing = setUpTracing();
const bench = createCoreWrit();
const hints = {
  lookup_order: { permission: 'orders:read', risk: 'low' as const, annotations: { readOnly: true } },
};
const adapted = adaptTool('bench', { name: 'lookup_order' }, (args) => lookupOrder(args as typeof ARGS), {
  writ: bench.writ,
  tools: hints,
});
const wrapped = writAiSdkTools(bench.writ).lookup_order as {
  execute: (input: unknown, options: unknown) => Promise<unknown>;
};
let n = 0;
const cases = {
  direct: () => bench.tool.execute(ARGS),
  adapted: () => adapted.run(ARGS),
  'adapted+callId': () => adapted.run(ARGS, { toolCallId: `call_${++n}` }),
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
await bench.inTask(async () => {
  for (const [id, fn] of Object.entries(cases)) {
    if (id === 'direct') continue;
    const pair = await samplePair(
      { id: 'direct', fn: cases.direct },
      { id, fn },
      { rounds: 1, timeMs: (seconds * 1000) / 3, batchMs: 10 },
    );
    const b = p50(pair.base);
    const s = p50(pair.subject);
    console.log(
      `${id.padEnd(16)} p50 ${s.toFixed(1)} µs vs direct ${b.toFixed(1)} µs: ${s - b >= 0 ? '+' : '−'}${Math.abs(s - b).toFixed(1)} µs (${(s / b).toFixed(3)}×)`,
    );
  }
});
await bench.close();
await tracing.shutdown();

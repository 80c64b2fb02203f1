// Peers and the adapter gap: the same tool body wrapped by other agent-tracing SDKs (OpenLLMetry
// `withTool`, OpenInference `traceTool`, Langfuse `observe`), by the AI SDK's own tool loop (with and
// without its `toolApproval` hook, where `@ai-sdk/policy-opa` plugs in), and by `@writ/ai-sdk`, all on the
// suite's tracer (tracing.ts), sampled in interleaved rounds and then as pairs in alternating batches.

import { traceTool } from '@arizeai/openinference-core';
import { observe, setLangfuseTracerProvider } from '@langfuse/tracing';
import { type Attributes, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { withTool } from '@traceloop/node-server-sdk';
import { adaptTool } from '@writ/core/adapter';
import {
  ARGS,
  type BenchWrit,
  createCoreWrit,
  LOOKUP_HINTS,
  type LookupArgs,
  lookupOrder,
} from '../fixtures.ts';
import type { CpuPerCall, LatencyRow, PairRow } from '../results-schema.ts';
import { type LatencyPlan, type PairPlan, sampleLatency, samplePair } from '../sampling.ts';
import { aiSdkLoop, aiSdkTools, aiSdkToolsCalling, writAiSdkTools } from './ai-sdk-loop.ts';
import { measureCpuPerCall } from './cpu-per-call.ts';
import { pairRow, type RowCase, rowsOf } from './rows.ts';

/** What the peers scenario needs from the run. */
export interface PeersContext {
  readonly tracer: Tracer;
  readonly plan: LatencyPlan;
  readonly pairPlan: PairPlan;
}

type PeerCase = RowCase;

const SPAN_ATTRIBUTES = (callId: string): Attributes => ({
  'gen_ai.operation.name': 'execute_tool',
  'gen_ai.tool.name': 'lookup_order',
  'gen_ai.tool.call.id': callId,
  'gen_ai.agent.name': 'support-bot',
});

/**
 * Pairs (baseline, subject) sampled in alternating batches: Writ's own cost next to each peer's, and the
 * adapter gap: what `@writ/ai-sdk` adds to the AI SDK loop beside what a `writ.tool` called from a plain
 * AI SDK tool adds to the same loop (the same Writ pipeline, next to the same framework work).
 */
const PAIRS: readonly (readonly [string, string])[] = [
  ['peer-openllmetry', 'peer-writ-core'],
  ['peer-openinference', 'peer-writ-core'],
  ['peer-langfuse', 'peer-writ-core'],
  ['peer-bare', 'peer-writ-core'],
  ['ai-sdk-loop', 'ai-sdk-loop-approval'],
  ['ai-sdk-loop', 'ai-sdk-loop-writ'],
  ['ai-sdk-loop', 'ai-sdk-loop-writ-direct'],
  ['ai-sdk-loop', 'ai-sdk-loop-writ-ledger'],
];

/** The rows of every peer case, and its pairs. */
export interface PeersResult {
  readonly rows: LatencyRow[];
  readonly pairs: PairRow[];
  /** CPU per call of `peer-openllmetry` and `peer-writ-core`, the deferred audit work included. */
  readonly cpu: CpuPerCall[];
}

/** Builds the peer and adapter cases, samples them, and returns rows and pairs. */
export async function runPeers(ctx: PeersContext): Promise<PeersResult> {
  const { tracer } = ctx;
  setLangfuseTracerProvider(trace.getTracerProvider());
  const opened: BenchWrit[] = [];
  try {
    const direct = createCoreWrit();
    const inLoop = createCoreWrit();
    const directInLoop = createCoreWrit();
    const ledgerInLoop = createCoreWrit();
    opened.push(direct, inLoop, directInLoop, ledgerInLoop);
    // the adapter kit with nothing of @writ/ai-sdk: writ.tool's pipeline plus the exactly-once call ledger
    // (a tool call id runs once per task), the promise every adapter keeps; the same facts as direct
    const kit = adaptTool(
      'bench',
      { name: 'lookup_order', description: 'Look up an order by id' },
      (args) => lookupOrder(args as LookupArgs),
      { writ: ledgerInLoop.writ, tools: LOOKUP_HINTS },
    );
    let callNo = 0;
    const traced = traceTool(lookupOrder, { name: 'lookup_order' });
    const observed = observe(lookupOrder, { name: 'lookup_order', asType: 'tool' });
    const writWrapped = writAiSdkTools(inLoop.writ);
    const cases: PeerCase[] = [
      { id: 'peer-bare', name: 'bare async call', group: 'baseline', fn: () => lookupOrder(ARGS) },
      {
        id: 'peer-span',
        name: 'call in one OTel span (4 attributes)',
        group: 'baseline',
        baseline: 'peer-bare',
        fn: () =>
          tracer.startActiveSpan(
            'execute_tool lookup_order',
            { kind: SpanKind.INTERNAL, attributes: SPAN_ATTRIBUTES(`call_${++callNo}`) },
            async (span) => {
              try {
                return await lookupOrder(ARGS);
              } finally {
                span.end();
              }
            },
          ),
      },
      {
        id: 'peer-openllmetry',
        name: 'OpenLLMetry withTool (@traceloop/node-server-sdk)',
        group: 'peer',
        baseline: 'peer-bare',
        fn: () => withTool({ name: 'lookup_order' }, lookupOrder, ARGS),
      },
      {
        id: 'peer-openinference',
        name: 'OpenInference traceTool (@arizeai/openinference-core)',
        group: 'peer',
        baseline: 'peer-bare',
        fn: () => traced(ARGS),
      },
      {
        id: 'peer-langfuse',
        name: "Langfuse observe({ asType: 'tool' }) (@langfuse/tracing)",
        group: 'peer',
        baseline: 'peer-bare',
        fn: () => observed(ARGS),
      },
      {
        id: 'peer-writ-core',
        name: '@writ/core writ.tool direct, in-memory policy + sink, async',
        group: 'writ',
        baseline: 'peer-bare',
        inside: (body) => direct.inTask(body),
        fn: () => direct.tool.execute(ARGS),
        afterRound: () => direct.flush(),
      },
      {
        id: 'ai-sdk-loop',
        name: 'AI SDK generateText, mock model, 1 tool call (no Writ)',
        group: 'adapter',
        fn: aiSdkLoop(aiSdkTools(), false),
      },
      {
        id: 'ai-sdk-loop-approval',
        name: 'AI SDK generateText + toolApproval hook approving (where policy-opa plugs in)',
        group: 'adapter',
        baseline: 'ai-sdk-loop',
        fn: aiSdkLoop(aiSdkTools(), true),
      },
      {
        id: 'ai-sdk-loop-writ',
        name: 'AI SDK generateText, tool wrapped by @writ/ai-sdk (same @writ/core set-up)',
        group: 'adapter',
        baseline: 'ai-sdk-loop',
        inside: (body) => inLoop.inTask(body),
        fn: aiSdkLoop(writWrapped, false),
        afterRound: () => inLoop.flush(),
      },
      {
        id: 'ai-sdk-loop-writ-direct',
        name: 'AI SDK generateText, tool calling writ.tool direct (no adapter, same set-up)',
        group: 'adapter',
        baseline: 'ai-sdk-loop',
        inside: (body) => directInLoop.inTask(body),
        fn: aiSdkLoop(
          aiSdkToolsCalling((args) => directInLoop.tool.execute(args)),
          false,
        ),
        afterRound: () => directInLoop.flush(),
      },
      {
        id: 'ai-sdk-loop-writ-ledger',
        name: "AI SDK generateText, tool calling the adapter kit's run with its tool call id (writ.tool + the call ledger, no adapter)",
        group: 'adapter',
        baseline: 'ai-sdk-loop',
        inside: (body) => ledgerInLoop.inTask(body),
        fn: aiSdkLoop(
          aiSdkToolsCalling((args, toolCallId) => kit.run(args, { toolCallId })),
          false,
        ),
        afterRound: () => ledgerInLoop.flush(),
      },
    ];
    const samples = await sampleLatency(cases, ctx.plan);
    const pairs: PairRow[] = [];
    for (const [baseId, subjectId] of PAIRS) {
      const base = cases.find((c) => c.id === baseId);
      const subject = cases.find((c) => c.id === subjectId);
      if (base === undefined || subject === undefined) continue;
      pairs.push(pairRow(baseId, subjectId, ctx.pairPlan, await samplePair(base, subject, ctx.pairPlan)));
    }
    // CPU per call next to the core-vs-openllmetry target: rounds of a quarter of a pair round each
    // (full run: 5 × 0.5 s per case, 5 s in all)
    const cpu = await measureCpuPerCall(
      cases.filter((c) => c.id === 'peer-openllmetry' || c.id === 'peer-writ-core'),
      { rounds: ctx.pairPlan.rounds, timeMs: ctx.pairPlan.timeMs / 4 },
    );
    return { rows: rowsOf(cases, samples), pairs, cpu };
  } finally {
    for (const bench of opened) await bench.close().catch(() => undefined);
  }
}

// The targets `npm run bench` holds Writ to: one entry per row of the targets table, each read (with its
// floor) from what a run measured. A new target is one entry in `TARGETS`.
import type { AuditResult, Measured, PairRow, Target } from './results-schema.ts';
import { COLD_START_FLOOR } from './scenarios/cold-start.ts';

/** One target: how to read its figure (and its floor) from what a run measured. */
export interface TargetDefinition {
  readonly id: string;
  readonly threshold: string;
  readonly unit: string;
  readonly ok: (value: number) => boolean;
  readonly describe: (m: Measured) => string;
  /** The measured figure; `undefined` when the scenario behind it did not run. */
  readonly measure: (m: Measured) => number | undefined;
  /** The same figure for what the design requires with nothing else of Writ, from the same run. */
  readonly floor?: (m: Measured) => number | undefined;
  /** CPU per call of the subject and its baseline, deferred work included (moved work is not removed work). */
  readonly cpu?: (m: Measured) => Target['cpu'];
}

const latency = (m: Measured, id: string) => m.latency.find((r) => r.id === id);
const cedarPair = (m: Measured, subject: string) =>
  m.pairs.find((p) => p.baseline === 'cedar-direct' && p.case === subject);
const peerPair = (m: Measured, baseline: string, subject: string) =>
  m.peerPairs.find((p) => p.baseline === baseline && p.case === subject);
const aboveBare = (m: Measured, id: string, key: 'p50Us' | 'p99Us') => {
  const row = latency(m, id);
  const bare = latency(m, 'bare');
  return row && bare ? row[key] - bare[key] : undefined;
};
const toolServerCpu = (m: Measured, id: string) => m.toolServer?.find((r) => r.id === id)?.cpuP50Us;
const cores = (m: Measured, kind: 'pool' | 'writ') =>
  m.cores?.find((r) => r.kind === kind && r.workers > 0)?.vsCedarSingleThread;
/**
 * Cedar's CPU time per decision, one thread: the tool-server scenario's own `cedar-direct` case (the
 * request's call, sampled beside the requests), else the all-cores scenario's figure from the same run.
 */
const cedarCpu = (m: Measured) =>
  toolServerCpu(m, 'cedar-direct') ?? m.cores?.find((r) => r.kind === 'cedar')?.cpuPerCallUs;

/**
 * Every figure Writ is held to, one entry per row of the targets table (issue 23's and the earlier
 * ones). A new target is one entry here.
 */
export const TARGETS: readonly TargetDefinition[] = [
  {
    id: 'writ-overhead-p50',
    threshold: '≤ 15 µs',
    unit: 'µs',
    ok: (v) => v <= 15,
    describe: () => "Writ's own overhead at p50 (in-memory policy, async durability, above the bare call)",
    measure: (m) => aboveBare(m, 'writ-memory-async', 'p50Us'),
    floor: (m) => aboveBare(m, 'evidence-floor', 'p50Us'),
  },
  {
    id: 'writ-overhead-p99',
    threshold: '≤ 60 µs',
    unit: 'µs',
    ok: (v) => v <= 60,
    describe: () => "Writ's own overhead at p99 (in-memory policy, async durability, above the bare call)",
    measure: (m) => aboveBare(m, 'writ-memory-async', 'p99Us'),
    floor: (m) => aboveBare(m, 'evidence-floor', 'p99Us'),
  },
  {
    id: 'cedar-ratio',
    threshold: '≤ 1.10×',
    unit: '×',
    ok: (v) => v <= 1.1,
    describe: (m) =>
      `Full call with embedded Cedar (async durability) ÷ (cedar-wasm direct + span), at p50, sampled as a pair in alternating ${cedarPair(m, 'writ-cedar-async')?.batchMs ?? 0} ms batches`,
    measure: (m) => cedarPair(m, 'writ-cedar-async')?.p50Ratio,
    floor: (m) => cedarPair(m, 'cedar-evidence-floor')?.p50Ratio,
  },
  {
    id: 'strict-throughput-c64',
    threshold: '≥ 20,000 calls/s',
    unit: 'calls/s',
    ok: (v) => v >= 20_000,
    describe: () => 'Strict durability (group commit), default stack (Cedar in-thread), 64 calls in flight',
    measure: (m) => m.throughput.find((r) => r.id === 'tp-cedar-strict-c64')?.callsPerSec,
    floor: (m) => latency(m, 'cedar-direct')?.opsPerSec,
  },
  {
    id: 'strict-cedar-c64-cores',
    threshold: '≥ 1.8×',
    unit: '×',
    ok: (v) => v >= 1.8,
    describe: (m) =>
      `Strict, Cedar on the worker pool (${m.cores?.find((r) => r.kind === 'writ' && r.workers > 0)?.workers ?? 0} workers), 64 in flight, ÷ Cedar's single-thread rate, interleaved windows (median); floor: the pool alone (no Writ)`,
    measure: (m) => cores(m, 'writ'),
    floor: (m) => cores(m, 'pool'),
  },
  {
    id: 'tool-server-cpu-strict',
    threshold: '≤ 1,000 µs',
    unit: 'µs',
    ok: (v) => v <= 1_000,
    describe: () =>
      "Tool-server request (cached token check + continued task + 1 call of a tool that does not read its per-call credential, strict), CPU p50; floor: one Cedar decision's CPU on the request's own call (sampled beside it)",
    measure: (m) => toolServerCpu(m, 'request-cached-strict'),
    floor: cedarCpu,
  },
  {
    id: 'tool-server-cpu-batched',
    threshold: '≤ 1,000 µs',
    unit: 'µs',
    ok: (v) => v <= 1_000,
    describe: () =>
      "Tool-server request (cached token check + continued task + 1 call of a tool that does not read its per-call credential, batched), CPU p50; floor: one Cedar decision's CPU on the request's own call (sampled beside it)",
    measure: (m) => toolServerCpu(m, 'request-cached-batched'),
    floor: cedarCpu,
  },
  {
    id: 'core-vs-openllmetry',
    threshold: '≤ 3×',
    unit: '×',
    ok: (v) => v <= 3,
    describe: (m) =>
      `@writ/core writ.tool direct (in-memory policy + sink, async) ÷ OpenLLMetry withTool, same tool body and tracer, at p50, alternating ${peerPair(m, 'peer-openllmetry', 'peer-writ-core')?.batchMs ?? 0} ms batches; floor: the evidence floor (a call's two records encoded + hashed in a span) ÷ OpenLLMetry's call, p50s of the same run`,
    measure: (m) => peerPair(m, 'peer-openllmetry', 'peer-writ-core')?.p50Ratio,
    // floor: a call's two records encoded and hashed in a span (the evidence floor, latency scenario) ÷
    // OpenLLMetry's call (peers scenario), both p50s of the same run
    floor: (m) => {
      const evidence = latency(m, 'evidence-floor')?.p50Us;
      const openllmetry = m.peers.find((r) => r.id === 'peer-openllmetry')?.p50Us;
      return evidence === undefined || openllmetry === undefined || openllmetry <= 0
        ? undefined
        : evidence / openllmetry;
    },
    // the async audit work deferred off the call's path still counts: CPU per call beside the ratio
    cpu: (m) => {
      const cpuOf = (id: string) => m.peerCpu.find((c) => c.id === id)?.cpuUsPerCall;
      const caseUs = cpuOf('peer-writ-core');
      const baselineUs = cpuOf('peer-openllmetry');
      return caseUs === undefined || baselineUs === undefined || baselineUs <= 0
        ? undefined
        : { caseUs, baselineUs, ratio: caseUs / baselineUs };
    },
  },
  {
    id: 'ai-sdk-adapter-gap',
    threshold: '≤ 1.10×',
    unit: '×',
    ok: (v) => v <= 1.1,
    describe: () =>
      "What @writ/ai-sdk adds to the AI SDK loop ÷ what writ.tool called from a plain AI SDK tool adds to it (same @writ/core set-up), at p50, from pairs in alternating batches; floor: the adapter kit's run with the tool call id (writ.tool + the exactly-once call ledger, nothing of @writ/ai-sdk) in the same loop, ÷ the same",
    measure: (m) => adapterGapOf(m.peerPairs)?.ratio,
    floor: (m) => adapterGapOf(m.peerPairs)?.ledgerRatio,
  },
  {
    id: 'import-writ',
    threshold: '≤ 100 ms',
    unit: 'ms',
    ok: (v) => v <= 100,
    describe: (m) =>
      `await import('writ') in a fresh process, median of ${m.coldStart?.runs ?? 0}; floor: zod then @opentelemetry/api imported in one fresh process (what writ needs with nothing else of Writ)`,
    measure: (m) => m.coldStart?.importMs,
    floor: (m) => m.coldStart?.baselines.find((b) => b.module === COLD_START_FLOOR)?.importMs,
  },
  {
    id: 'verify-rate',
    threshold: '≥ 1,000,000 records/s',
    unit: 'records/s',
    ok: (v) => v >= 1_000_000,
    describe: (m) =>
      `verifyLog over the ${m.audit?.verify.records ?? 0}-record log, fastest of ${m.audit?.verify.runs.length ?? 0} runs in fresh processes; floor: read + SHA-256 of every record on 2 threads and the RFC 6962 tree (which checking a checkpoint's root requires), runs interleaved`,
    measure: (m) => m.audit?.verify.recordsPerSec,
    floor: (m) => verifyFloor(m.audit),
  },
  {
    id: 'fleet-verify',
    threshold: '≤ 10 s for 10M records',
    unit: 's',
    ok: (v) => v <= 10,
    describe: (m) =>
      `verifyFleet over a bundle of ${m.audit?.fleet?.members ?? 0} members, ${m.audit?.fleet?.records ?? 0} records, one run; floor: read + SHA-256 of every member record on 2 threads and the RFC 6962 tree`,
    measure: (m) =>
      m.audit?.fleet ? (m.audit.fleet.seconds * 10_000_000) / m.audit.fleet.records : undefined,
    floor: (m) => {
      const fleet = m.audit?.fleet;
      const floor = fleet?.floor.find((f) => f.tree);
      return fleet && floor ? (floor.seconds * 10_000_000) / fleet.records : undefined;
    },
  },
  {
    id: 'heap-growth',
    threshold: '< 5 MB',
    unit: 'bytes',
    ok: (v) => v < 5_000_000,
    describe: (m) =>
      `Heap growth from ${m.memory?.points[0]?.calls ?? 0} to ${m.memory?.points.at(-1)?.calls ?? 0} calls (GC forced)`,
    measure: (m) => m.memory?.heapGrowthBytes,
  },
];

/**
 * The verify floor (records/s): read + hash on 2 threads with the RFC 6962 tree folded, when measured. A
 * verifier that checks checkpoints against the log's roots cannot skip the tree; the floors without it
 * are in the audit table beside it.
 */
function verifyFloor(audit: AuditResult | null | undefined): number | undefined {
  const rates = (audit?.floor ?? []).filter((f) => f.tree).map((f) => f.recordsPerSec);
  return rates.length === 0 ? undefined : Math.max(...rates);
}

/** Every target of `TARGETS` read from a run. `met` is `null` when its scenario did not run or in smoke mode. */
export function evaluateTargets(m: Measured, evaluate = m.mode === 'full'): Target[] {
  return TARGETS.map((t): Target => {
    const value = t.measure(m);
    const floor = t.floor?.(m);
    const cpu = t.cpu?.(m);
    return {
      id: t.id,
      description: t.describe(m),
      threshold: t.threshold,
      value: value ?? null,
      unit: t.unit,
      met: value === undefined || !evaluate ? null : t.ok(value),
      floor: floor === undefined ? null : { value: floor, met: evaluate ? t.ok(floor) : null },
      ...(cpu === undefined ? {} : { cpu }),
    };
  });
}

/**
 * The adapter gap: what `@writ/ai-sdk` adds to the AI SDK loop (pair ai-sdk-loop → ai-sdk-loop-writ) over
 * what a `writ.tool` called from a plain AI SDK tool adds to the same loop (pair ai-sdk-loop →
 * ai-sdk-loop-writ-direct), p50 differences; `directBareUs` is what `writ.tool` adds to a bare call
 * (pair peer-bare → peer-writ-core), for context: Writ's pipeline costs more next to the framework's work.
 */
export function adapterGapOf(pairs: readonly PairRow[]):
  | {
      adapterUs: number;
      directInLoopUs: number;
      directBareUs: number | undefined;
      ratio: number;
      /** What the adapter kit's `run` with a tool call id adds to the loop ÷ what `writ.tool` adds. */
      ledgerRatio: number | undefined;
    }
  | undefined {
  const find = (baseline: string, subject: string) =>
    pairs.find((p) => p.baseline === baseline && p.case === subject);
  const adapter = find('ai-sdk-loop', 'ai-sdk-loop-writ');
  const direct = find('ai-sdk-loop', 'ai-sdk-loop-writ-direct');
  if (adapter === undefined || direct === undefined) return undefined;
  const ledger = find('ai-sdk-loop', 'ai-sdk-loop-writ-ledger');
  return {
    adapterUs: adapter.p50OverheadUs,
    directInLoopUs: direct.p50OverheadUs,
    directBareUs: find('peer-bare', 'peer-writ-core')?.p50OverheadUs,
    ratio: adapter.p50OverheadUs / direct.p50OverheadUs,
    ledgerRatio: ledger === undefined ? undefined : ledger.p50OverheadUs / direct.p50OverheadUs,
  };
}

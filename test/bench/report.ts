// Targets and the printed table.
import type {
  AuditResult,
  ColdStartResult,
  LatencyRow,
  MemoryResult,
  PairRow,
  Results,
  Target,
  ThroughputRow,
} from './results-schema.ts';

/** Every figure Writ is held to. `met` is `null` when the scenario did not run or in smoke mode. */
export function evaluateTargets(input: {
  latency: readonly LatencyRow[];
  pairs: readonly PairRow[];
  peerPairs: readonly PairRow[];
  throughput: readonly ThroughputRow[];
  coldStart: ColdStartResult | null;
  memory: MemoryResult | null;
  audit: AuditResult | null;
  evaluate: boolean;
}): Target[] {
  const row = (id: string) => input.latency.find((r) => r.id === id);
  const own = row('writ-memory-async');
  const bare = row('bare');
  const floorRow = row('evidence-floor');
  const pair = (subject: string) =>
    input.pairs.find((p) => p.baseline === 'cedar-direct' && p.case === subject);
  const cedarPair = pair('writ-cedar-async');
  const cedarFloorPair = pair('cedar-evidence-floor');
  const peerPair = (baseline: string, subject: string) =>
    input.peerPairs.find((p) => p.baseline === baseline && p.case === subject);
  const vsOpenllmetry = peerPair('peer-openllmetry', 'peer-writ-core');
  const adapterGap = adapterGapOf(input.peerPairs);
  const zodImport = input.coldStart?.baselines.find((b) => b.module === 'zod');
  const strict64 = input.throughput.find((r) => r.id === 'tp-cedar-strict-c64');
  const target = (
    id: string,
    description: string,
    threshold: string,
    value: number | undefined,
    unit: string,
    ok: (v: number) => boolean,
    floor?: number,
  ): Target => ({
    id,
    description,
    threshold,
    value: value ?? null,
    unit,
    met: value === undefined || !input.evaluate ? null : ok(value),
    floor: floor === undefined ? null : { value: floor, met: input.evaluate ? ok(floor) : null },
  });
  return [
    target(
      'writ-overhead-p50',
      "Writ's own overhead at p50 (in-memory policy, async durability, above the bare call)",
      '≤ 15 µs',
      own && bare ? own.p50Us - bare.p50Us : undefined,
      'µs',
      (v) => v <= 15,
      floorRow && bare ? floorRow.p50Us - bare.p50Us : undefined,
    ),
    target(
      'writ-overhead-p99',
      "Writ's own overhead at p99 (in-memory policy, async durability, above the bare call)",
      '≤ 60 µs',
      own && bare ? own.p99Us - bare.p99Us : undefined,
      'µs',
      (v) => v <= 60,
      floorRow && bare ? floorRow.p99Us - bare.p99Us : undefined,
    ),
    target(
      'cedar-ratio',
      `Full call with embedded Cedar (async durability) ÷ (cedar-wasm direct + span), at p50, sampled as a pair in alternating ${cedarPair?.batchMs ?? 0} ms batches`,
      '≤ 1.15×',
      cedarPair?.p50Ratio,
      '×',
      (v) => v <= 1.15,
      cedarFloorPair?.p50Ratio,
    ),
    target(
      'strict-throughput-c64',
      'Strict durability (group commit), default stack (Cedar), 64 calls in flight',
      '≥ 20,000 calls/s',
      strict64?.callsPerSec,
      'calls/s',
      (v) => v >= 20_000,
      row('cedar-direct')?.opsPerSec,
    ),
    target(
      'core-vs-openllmetry',
      `@writ/core writ.tool direct (in-memory policy + sink, async) ÷ OpenLLMetry withTool, same tool body and tracer, at p50, alternating ${vsOpenllmetry?.batchMs ?? 0} ms batches`,
      '≤ 3×',
      vsOpenllmetry?.p50Ratio,
      '×',
      (v) => v <= 3,
    ),
    target(
      'ai-sdk-adapter-gap',
      'What @writ/ai-sdk adds to the AI SDK loop ÷ what writ.tool called from a plain AI SDK tool adds to it (same @writ/core set-up), at p50, from pairs in alternating batches',
      '≤ 1.10×',
      adapterGap?.ratio,
      '×',
      (v) => v <= 1.1,
    ),
    target(
      'import-writ',
      `await import('writ') in a fresh process, median of ${input.coldStart?.runs ?? 0}; floor: import of zod alone, which writ's options schemas need`,
      '≤ 100 ms',
      input.coldStart?.importMs,
      'ms',
      (v) => v <= 100,
      zodImport?.importMs,
    ),
    target(
      'verify-rate',
      `verifyLog over the ${input.audit?.verify.records ?? 0}-record log, fastest of ${input.audit?.verify.runs.length ?? 0} runs in fresh processes`,
      '≥ 250,000 records/s',
      input.audit?.verify.recordsPerSec,
      'records/s',
      (v) => v >= 250_000,
    ),
    target(
      'heap-growth',
      `Heap growth from ${input.memory?.points[0]?.calls ?? 0} to ${input.memory?.points.at(-1)?.calls ?? 0} calls (GC forced)`,
      '< 5 MB',
      input.memory?.heapGrowthBytes,
      'bytes',
      (v) => v < 5_000_000,
    ),
  ];
}

/**
 * The adapter gap: what `@writ/ai-sdk` adds to the AI SDK loop (pair ai-sdk-loop → ai-sdk-loop-writ) over
 * what a `writ.tool` called from a plain AI SDK tool adds to the same loop (pair ai-sdk-loop →
 * ai-sdk-loop-writ-direct), p50 differences; `directBareUs` is what `writ.tool` adds to a bare call
 * (pair peer-bare → peer-writ-core), for context: Writ's pipeline costs more next to the framework's work.
 */
export function adapterGapOf(
  pairs: readonly PairRow[],
):
  | { adapterUs: number; directInLoopUs: number; directBareUs: number | undefined; ratio: number }
  | undefined {
  const find = (baseline: string, subject: string) =>
    pairs.find((p) => p.baseline === baseline && p.case === subject);
  const adapter = find('ai-sdk-loop', 'ai-sdk-loop-writ');
  const direct = find('ai-sdk-loop', 'ai-sdk-loop-writ-direct');
  if (adapter === undefined || direct === undefined) return undefined;
  return {
    adapterUs: adapter.p50OverheadUs,
    directInLoopUs: direct.p50OverheadUs,
    directBareUs: find('peer-bare', 'peer-writ-core')?.p50OverheadUs,
    ratio: adapter.p50OverheadUs / direct.p50OverheadUs,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const us = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : int(n));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const signed = (n: number) => (n < 0 ? `−${us(-n)}` : `+${us(n)}`);

/** A plain-text table; the first column is left-aligned, the others right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function vsText(row: LatencyRow): string {
  if (row.vs === undefined) return '';
  const { baseline, p50Ratio, p50OverheadUs, p99OverheadUs } = row.vs;
  return `${p50Ratio.toFixed(2)}× ${baseline} (${signed(p50OverheadUs)} p50, ${signed(p99OverheadUs)} p99)`;
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return 'not measured';
  if (unit === 'bytes') return mb(value);
  if (unit === '×') return `${value.toFixed(3)}×`;
  if (unit === 'µs') return `${us(value)} µs`;
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  return `${int(value)} ${unit}`;
}

/** yes, NO, or — when the floor alone misses the threshold too — out of reach by design. */
function verdict(t: Target): string {
  if (t.met === null) return '–';
  if (t.met) return 'yes';
  return t.floor?.met === false ? 'NO (floor misses too)' : 'NO';
}

/** The whole report as printed, also pasted into PERFORMANCE.md. */
export function formatReport(results: Results): string {
  const { machine } = results;
  const parts: string[] = [];
  parts.push(
    `Writ ${results.run.writVersion} · Node ${machine.node} · ${machine.cpus} × ${machine.model} · ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB · ${machine.date} · ${results.mode} run, ${results.run.seconds.toFixed(0)} s`,
  );
  if (results.latency.length > 0) {
    parts.push(
      table(
        ['Latency (µs)', 'p50', 'p99', 'mean', 'ops/s', 'vs baseline'],
        results.latency.map((r) => [
          r.recordBytes === undefined
            ? r.name
            : `${r.name} [decision ${int(r.recordBytes.decision)} B, call ${int(r.recordBytes.perCall)} B]`,
          us(r.p50Us),
          us(r.p99Us),
          us(r.meanUs),
          int(r.opsPerSec),
          vsText(r),
        ]),
      ),
    );
  }
  if (results.pairs.length > 0) {
    parts.push(
      table(
        ['Pair (alternating batches)', 'batch', 'baseline p50', 'case p50', 'ratio', 'p50 / p99 above'],
        results.pairs.map((p) => [
          `${p.case} vs ${p.baseline}`,
          `${p.batchMs} ms`,
          us(p.baselineP50Us),
          us(p.caseP50Us),
          `${p.p50Ratio.toFixed(3)}×`,
          `${signed(p.p50OverheadUs)} / ${signed(p.p99OverheadUs)}`,
        ]),
      ),
    );
  }
  if (results.peers.length > 0) {
    parts.push(
      table(
        ['Peers and adapters (µs)', 'p50', 'p99', 'mean', 'ops/s', 'vs baseline'],
        results.peers.map((r) => [
          r.name,
          us(r.p50Us),
          us(r.p99Us),
          us(r.meanUs),
          int(r.opsPerSec),
          vsText(r),
        ]),
      ),
    );
  }
  if (results.peerPairs.length > 0) {
    const gap = adapterGapOf(results.peerPairs);
    parts.push(
      [
        table(
          ['vs peers (alternating batches)', 'batch', 'baseline p50', 'case p50', 'ratio', 'p50 / p99 above'],
          results.peerPairs.map((p) => [
            `${p.case} vs ${p.baseline}`,
            `${p.batchMs} ms`,
            us(p.baselineP50Us),
            us(p.caseP50Us),
            `${p.p50Ratio.toFixed(3)}×`,
            `${signed(p.p50OverheadUs)} / ${signed(p.p99OverheadUs)}`,
          ]),
        ),
        gap === undefined
          ? ''
          : `adapter gap: @writ/ai-sdk adds ${us(gap.adapterUs)} µs to the AI SDK loop, writ.tool called from a plain AI SDK tool ${us(gap.directInLoopUs)} µs: ${gap.ratio.toFixed(2)}× (writ.tool adds ${gap.directBareUs === undefined ? '?' : us(gap.directBareUs)} µs to a bare call)`,
      ]
        .filter((line) => line !== '')
        .join('\n'),
    );
  }
  if (results.coldStart !== null) {
    const c = results.coldStart;
    parts.push(
      table(
        [`Cold start (median of ${c.runs} fresh processes)`, 'ms', 'writ ÷ it'],
        [
          ["await import('writ')", c.importMs.toFixed(1), ''],
          ['  CPU time of that import', c.importCpuMs.toFixed(1), ''],
          ...c.baselines.map((b) => [
            `await import('${b.module}')`,
            b.importMs.toFixed(1),
            `${b.ratio.toFixed(1)}×`,
          ]),
          ['first call: createWrit + ready + token + task + call', c.firstCallMs.toFixed(1), ''],
          ['second task + call, same process', c.secondCallMs.toFixed(1), ''],
        ],
      ),
    );
  }
  if (results.throughput.length > 0) {
    parts.push(
      table(
        ['Throughput (one task)', 'in flight', 'calls', 'calls/s'],
        results.throughput.map((r) => [
          `${r.policy}, ${r.durability}`,
          int(r.concurrency),
          int(r.calls),
          int(r.callsPerSec),
        ]),
      ),
    );
  }
  if (results.memory !== null) {
    const m = results.memory;
    parts.push(
      table(
        ['Memory', 'heap used', 'RSS'],
        [
          ...m.points.map((p) => [`after ${int(p.calls)} calls`, mb(p.heapUsedBytes), mb(p.rssBytes)]),
          ['growth', mb(m.heapGrowthBytes), mb(m.rssGrowthBytes)],
        ],
      ),
    );
  }
  if (results.audit !== null) {
    const a = results.audit;
    parts.push(
      table(
        ['Audit log', 'records', 'seconds', 'records/s'],
        [
          [
            `verifyLog (${mb(a.log.bytes)}${a.log.reused ? ', reused' : `, built in ${a.log.buildSeconds?.toFixed(1)} s`}), fastest of ${a.verify.runs.length}`,
            int(a.verify.records),
            a.verify.seconds.toFixed(2),
            int(a.verify.recordsPerSec),
          ],
          ...a.verify.runs.map((r, i) => [`  run ${i + 1}`, '', r.seconds.toFixed(2), int(r.recordsPerSec)]),
          ...a.append.map((r) => [
            `file sink append, ${r.durability}, ${r.concurrency} in flight`,
            int(r.records),
            r.seconds.toFixed(2),
            int(r.recordsPerSec),
          ]),
        ],
      ),
    );
  }
  parts.push(
    table(
      ['Target', 'threshold', 'measured', 'floor', 'met'],
      results.targets.map((t) => [
        t.id,
        t.threshold,
        formatValue(t.value, t.unit),
        t.floor === null ? '' : formatValue(t.floor.value, t.unit),
        verdict(t),
      ]),
    ),
  );
  if (results.skipped.length > 0)
    parts.push(results.skipped.map((s) => `skipped ${s.scenario}: ${s.reason}`).join('\n'));
  return parts.join('\n\n');
}

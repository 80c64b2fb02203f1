// Targets and the printed table.
import { availableParallelism } from 'node:os';
import type { CoresRow, LatencyRow, Results, Target, ToolServerRow } from './results-schema.ts';
import { formatAdapters } from './scenarios/adapters-report.ts';
import { COLD_START_FLOOR } from './scenarios/cold-start.ts';
import { verifyRows } from './scenarios/verify-rows.ts';
import { adapterGapOf } from './targets.ts';

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
  if (unit === 's') return `${value.toFixed(1)} s`;
  return `${int(value)} ${unit}`;
}

/** yes, NO, or — when the floor alone misses the threshold too — out of reach by design. */
function verdict(t: Target): string {
  if (t.met === null) return '–';
  if (t.met) return 'yes';
  return t.floor?.met === false ? 'NO (floor misses too)' : 'NO';
}

/** The tool-server section: wall and CPU time per request and per part of a request. */
export function formatToolServerRows(rows: readonly ToolServerRow[]): string {
  return table(
    [
      'Tool-server path (µs; one request = token check + continued task + 1 call)',
      'wall p50',
      'wall p99',
      'CPU p50',
      'CPU p99',
      'records',
    ],
    rows.map((r) => [
      r.name,
      us(r.wallP50Us),
      us(r.wallP99Us),
      us(r.cpuP50Us),
      us(r.cpuP99Us),
      r.recordsPerRequest === undefined ? '' : String(r.recordsPerRequest),
    ]),
  );
}

/**
 * The all-cores section: rate, its ratio to Cedar single-thread, CPU time per call (every thread), and
 * the ratio that CPU time allows on `cores` free cores (cores × Cedar's CPU per evaluation ÷ the
 * set-up's CPU per call): unlike the rate, it does not move with what the neighbours take.
 */
export function formatCores(rows: readonly CoresRow[], cores = availableParallelism()): string {
  const cedarCpu = rows.find((r) => r.kind === 'cedar')?.cpuPerCallUs ?? Number.NaN;
  return table(
    [
      `All cores: embedded Cedar, strict, interleaved windows (median of ${rows[0]?.rounds ?? 0})`,
      'per s',
      '× Cedar 1 thread',
      'CPU µs/call',
      `CPU allows on ${cores} cores`,
    ],
    rows.map((r) => [
      r.name,
      int(r.perSec),
      `${r.vsCedarSingleThread.toFixed(2)}×`,
      us(r.cpuPerCallUs),
      r.kind === 'cedar' ? '' : `${((cores * cedarCpu) / r.cpuPerCallUs).toFixed(2)}×`,
    ]),
  );
}

/** The whole report as printed, also pasted into docs/performance.md. */
export function formatReport(results: Results): string {
  const { machine } = results;
  const parts: string[] = [];
  parts.push(
    `Writ ${results.run.writVersion} · Node ${machine.node} · ${machine.cpus} × ${machine.model} · ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB · ${machine.date} · ${results.mode} run · load average ${machine.loadAverage.map((l) => l.toFixed(1)).join(' / ')} at the start`,
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
          : `adapter gap: @writ/ai-sdk adds ${us(gap.adapterUs)} µs to the AI SDK loop, writ.tool called from a plain AI SDK tool ${us(gap.directInLoopUs)} µs: ${gap.ratio.toFixed(2)}× (writ.tool adds ${gap.directBareUs === undefined ? '?' : us(gap.directBareUs)} µs to a bare call)${gap.ledgerRatio === undefined ? '' : `; the adapter kit's run with the tool call id (the call ledger, no adapter) ${gap.ledgerRatio.toFixed(2)}×`}`,
      ]
        .filter((line) => line !== '')
        .join('\n'),
    );
  }
  if (results.coldStart !== null) {
    const c = results.coldStart;
    const step = (label: string, t: { ms: number; cpuMs: number } | undefined) => [
      label,
      t === undefined ? '–' : t.ms.toFixed(1),
      t === undefined ? '–' : t.cpuMs.toFixed(1),
      '',
    ];
    const first = c.firstCallParts;
    const start = c.startParts;
    parts.push(
      table(
        [`Cold start (median of ${c.runs} fresh processes)`, 'ms', 'CPU ms', 'writ ÷ it'],
        [
          ["import('writ')", c.importMs.toFixed(1), c.importCpuMs.toFixed(1), ''],
          ...c.baselines.map((b) => [
            `${b.module
              .split('+')
              .map((m) => `import('${m}')`)
              .join(', then ')}${b.module === COLD_START_FLOOR ? ' (floor)' : ''}`,
            b.importMs.toFixed(1),
            b.importCpuMs.toFixed(1),
            `${b.ratio.toFixed(1)}×`,
          ]),
          [
            'first call: createWrit + ready + token + task + call',
            c.firstCallMs.toFixed(1),
            c.firstCallCpuMs.toFixed(1),
            '',
          ],
          step('  createWrit + writ.tool (options validated)', first.create),
          step('  ready(): the embedded components start', first.ready),
          step('  requester token', first.token),
          step('  first task + call', first.firstTask),
          ['ready() step by step (other fresh processes)', '', '', ''],
          step("  import '@writ/identity' (jose)", start.importIdentity),
          step("  import '@writ/policy'", start.importPolicy),
          step("  import '@writ/audit'", start.importAudit),
          step('  Cedar wasm: compile + instantiate', start.cedarWasm),
          step('  Cedar policy set: parse, validate, preparse', start.cedarPolicies),
          step('  local authority keys (created)', start.keys),
          step('  audit log opened (created)', start.auditLog),
          ['second task + call, same process', c.secondCallMs.toFixed(1), '', ''],
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
          ...verifyRows(a),
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
  if (results.toolServer !== null) parts.push(formatToolServerRows(results.toolServer));
  if (results.cores !== null) parts.push(formatCores(results.cores, results.machine.cpus));
  if (results.adapters !== null) parts.push(formatAdapters(results.adapters, results.mode === 'full'));
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
  const cpuLines = results.targets.flatMap((t) =>
    t.cpu === undefined
      ? []
      : [
          `${t.id}, CPU per call (deferred audit work included): ${us(t.cpu.caseUs)} µs against ${us(t.cpu.baselineUs)} µs, ${t.cpu.ratio.toFixed(2)}×`,
        ],
  );
  if (cpuLines.length > 0) parts.push(cpuLines.join('\n'));
  if (results.skipped.length > 0)
    parts.push(results.skipped.map((s) => `skipped ${s.scenario}: ${s.reason}`).join('\n'));
  const scenarios = Object.entries(results.run.scenarioSeconds)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(0)} s`)
    .join(', ');
  parts.push(
    `total ${results.run.seconds.toFixed(0)} s (${scenarios}) · load average ${results.run.loadAverageEnd.map((l) => l.toFixed(1)).join(' / ')} at the end`,
  );
  return parts.join('\n\n');
}

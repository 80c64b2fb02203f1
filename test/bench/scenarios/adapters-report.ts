// The adapters section's row type and table, apart from the scenario so that the report (and the
// process, before the adapters run last) loads none of the frameworks: their modules alone hold ~100 MB.

/** The target every adapter is read against: what `ai-sdk-adapter-gap` holds `@writ/ai-sdk` to. */
export const ADAPTER_GAP_TARGET = 1.1;

/** One adapter's row: its three cases and the gap. */
export interface AdapterRow {
  readonly id: string;
  readonly loop: string;
  readonly adapter: string;
  /** p50 wall µs per run of the loop from the interleaved rounds: no Writ, adapter, direct. */
  readonly p50Us: { readonly none: number; readonly adapter: number; readonly direct: number };
  /** From the pairs: what the adapter and the direct call add to the loop at p50, wall and CPU µs. */
  readonly adapterAddsUs: number;
  readonly directAddsUs: number;
  readonly adapterAddsCpuUs: number;
  readonly directAddsCpuUs: number;
  /** adapterAdds ÷ directAdds (wall and CPU). */
  readonly gap: number;
  readonly cpuGap: number;
  /** What a hook doing nothing in the adapter's slot adds (wall, CPU µs at p50), for hook adapters. */
  readonly hookAddsUs: number | null;
  readonly hookAddsCpuUs: number | null;
  readonly samples: number;
}

const us = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The table, one row per adapter, and the target line of each. */
export function formatAdapters(rows: readonly AdapterRow[], judge: boolean): string {
  const head = [
    'adapter (loop)',
    'loop p50',
    'adapter adds',
    'direct adds',
    'gap',
    'CPU: adapter adds',
    'direct adds',
    'gap',
    'no-op hook adds',
    'met (≤ 1.10×)',
  ];
  const body = rows.map((r) => [
    r.adapter,
    us(r.p50Us.none),
    us(r.adapterAddsUs),
    us(r.directAddsUs),
    `${r.gap.toFixed(2)}×`,
    us(r.adapterAddsCpuUs),
    us(r.directAddsCpuUs),
    `${r.cpuGap.toFixed(2)}×`,
    r.hookAddsCpuUs === null || r.hookAddsUs === null
      ? '–'
      : `${us(r.hookAddsUs)} (CPU ${us(r.hookAddsCpuUs)})`,
    judge ? (r.gap <= ADAPTER_GAP_TARGET ? 'yes' : 'NO') : 'not judged (smoke)',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    'Adapter gap per adapter (µs per run of the loop; adds = p50 difference from the pair with the loop without Writ;',
    'no-op hook = a middleware or plugin doing nothing in the slot the adapter uses, no Writ)',
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    ...rows.map((r) => `${r.id}: ${r.loop}`),
  ].join('\n');
}

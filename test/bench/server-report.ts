// The tool-server and all-cores sections of `npm run bench` (issue 23 items 2 and 3): their own JSON
// file beside results.json, and their tables with the targets they are held to.
import { type CedarPoolRow, formatCedarPool } from './scenarios/cedar-pool.ts';
import { formatToolServer, type ToolServerRow } from './scenarios/tool-server.ts';

/** What the two sections measured (null: not run). */
export interface ServerResults {
  readonly mode: 'full' | 'smoke';
  toolServer: ToolServerRow[] | null;
  cores: CedarPoolRow[] | null;
}

/** Tool-server request, CPU p50: at most this many µs. */
export const TOOL_SERVER_CPU_TARGET_US = 1_000;
/** Strict, Cedar, 64 in flight: at least this multiple of Cedar's single-thread rate. */
export const CORES_TARGET_RATIO = 1.8;

const verdict = (met: boolean | null) => (met === null ? 'not judged (smoke)' : met ? 'met' : 'NOT met');

/** The tables and target lines. */
export function serverReport(results: ServerResults): string {
  const judge = results.mode === 'full';
  const out: string[] = [];
  if (results.toolServer !== null) {
    out.push('Tool-server path: one inbound request = verify the caller token + continued task + 1 call', '');
    out.push(formatToolServer(results.toolServer), '');
    for (const durability of ['strict', 'batched'] as const) {
      const row = results.toolServer.find((r) => r.id === `request-cached-${durability}`);
      const parts = ['task-only', 'call-only'].map((p) =>
        results.toolServer?.find((r) => r.id === `${p}-${durability}`),
      );
      if (row === undefined) continue;
      const floor = parts.reduce((sum, r) => sum + (r?.cpuP50Us ?? 0), 0);
      const cedar = results.toolServer.find((r) => r.id === 'cedar-direct');
      const policy =
        cedar === undefined ? '' : `; floor: Cedar direct ${cedar.cpuP50Us.toFixed(0)} µs per decision`;
      out.push(
        `target: tool-server request (${durability}), CPU p50 ≤ ${TOOL_SERVER_CPU_TARGET_US} µs: ${row.cpuP50Us.toFixed(0)} µs, ${row.recordsPerRequest ?? '?'} records — ${verdict(judge ? row.cpuP50Us <= TOOL_SERVER_CPU_TARGET_US : null)} (its parts measured alone: task ${parts[0]?.cpuP50Us.toFixed(0)} + call ${parts[1]?.cpuP50Us.toFixed(0)} = ${floor.toFixed(0)} µs${policy})`,
      );
    }
  }
  if (results.cores !== null) {
    if (out.length > 0) out.push('');
    out.push('All cores for embedded Cedar: strict, 64 in flight, interleaved windows (median)', '');
    out.push(formatCedarPool(results.cores), '');
    const pools = results.cores.filter((r) => /-w[1-9]/.test(r.id));
    const best = pools.reduce<CedarPoolRow | undefined>(
      (a, r) => (a === undefined || r.vsCedarSingleThread > a.vsCedarSingleThread ? r : a),
      undefined,
    );
    const inThread = results.cores.find((r) => r.id.endsWith('-w0'));
    if (best !== undefined) {
      out.push(
        `target: strict Cedar c64 ≥ ${CORES_TARGET_RATIO}× Cedar single-thread: ${best.vsCedarSingleThread.toFixed(2)}× (${best.name}) — ${verdict(judge ? best.vsCedarSingleThread >= CORES_TARGET_RATIO : null)}; in-thread ${inThread?.vsCedarSingleThread.toFixed(2)}×`,
      );
    }
  }
  return out.join('\n');
}

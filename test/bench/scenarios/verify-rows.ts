// The verify rows of the audit table: each verify run with its CPU time, the floors measured between them,
// and the fleet bundle with its floors (audit-log.ts measures them).
import type { AuditResult } from '../results-schema.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const cpu = (seconds: number) => `CPU ${seconds.toFixed(2)} s`;

/** Rows `[what, records, seconds, records/s]` after the verify row. */
export function verifyRows(a: AuditResult): string[][] {
  const rows = a.verify.runs.map((r, i) => [
    `  run ${i + 1} (${cpu(r.cpuSeconds)})`,
    '',
    r.seconds.toFixed(2),
    int(r.recordsPerSec),
  ]);
  for (const f of a.floor) {
    const threads = `${f.threads} thread${f.threads === 1 ? '' : 's'}${f.tree ? ' + tree' : ''}`;
    const name = `  floor: read + SHA-256, ${threads} (${cpu(f.cpuSeconds)})`;
    rows.push([name, int(a.verify.records), f.seconds.toFixed(2), int(f.recordsPerSec)]);
  }
  const fleet = a.fleet;
  if (fleet === null) return rows;
  const name = `verifyFleet, ${fleet.members} members (hard links), ${fleet.workers} workers (${cpu(fleet.cpuSeconds)})`;
  rows.push([name, int(fleet.records), fleet.seconds.toFixed(2), int(fleet.recordsPerSec)]);
  for (const f of fleet.floor) {
    const name = `  floor: read + SHA-256, ${f.threads} threads${f.tree ? ' + tree' : ''} (${cpu(f.cpuSeconds)})`;
    rows.push([name, int(fleet.records), f.seconds.toFixed(2), int(f.recordsPerSec)]);
  }
  return rows;
}

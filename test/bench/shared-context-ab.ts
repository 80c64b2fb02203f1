// Records of version 2 (a decision record refers to its task's shared evaluated context) against the same
// records in the version-1 shape (the whole evaluated context in every decision record), in one run:
// bytes per decision record and per call, then two logs of the same records and size built with the file
// sink, each verified in a fresh process (`verify-child.ts`, as `writ verify` runs), in ABBA order.
//
//   node test/bench/shared-context-ab.ts [records=200000] [rounds=3]
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFileAuditSink } from '@writ/audit';
import { listSegments } from '@writ/audit/internal';
import { uuidv7 } from '@writ/core/internal';
import { type AuditEvent, resolveSharedContexts } from '@writ/core/plugin';
import { captureCallEvents } from './fixtures.ts';
import { recordTemplates } from './scenarios/audit-log.ts';

const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
const run = promisify(execFile);

const call = await captureCallEvents();
console.log('bytes (canonical)          decision   per call');
console.log(`version 1                  ${call.version1Bytes.decision}       ${call.version1Bytes.perCall}`);
console.log(`version 2 (by reference)   ${call.bytes.decision}       ${call.bytes.perCall}`);

/** A task of 8 calls as the pipeline stores it (version 2), and the same records in the version-1 shape. */
async function templates(): Promise<{ v2: AuditEvent[]; v1: AuditEvent[] }> {
  const v2 = await recordTemplates();
  const { records: resolved } = resolveSharedContexts(v2.map((record, index) => ({ index, record })));
  return { v2, v1: resolved.map(({ record }) => ({ ...record, v: 1 }) as AuditEvent) };
}

async function build(dir: string, shapes: readonly AuditEvent[]) {
  const sink = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
  const pending: Promise<unknown>[] = [];
  for (let n = 0; n < records; n++) {
    const shape = shapes[n % shapes.length] as AuditEvent;
    pending.push(sink.append({ ...shape, id: uuidv7() }, { durability: 'batched' }));
    if (pending.length >= 256) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await sink.close?.();
  let bytes = 0;
  for (const segment of await listSegments(join(dir, 'audit'))) bytes += (await stat(segment.path)).size;
  return { dir: join(dir, 'audit'), key: sink.verifierKey, bytes, records: sink.size };
}

async function verify(log: { dir: string; key: string }) {
  const child = fileURLToPath(new URL('./verify-child.ts', import.meta.url));
  const { stdout } = await run(process.execPath, [child, log.dir, log.key], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  if (!r.ok) throw new Error(`the log does not verify: ${r.reason}`);
  return r as { records: number; seconds: number; cpuSeconds: number };
}

const { v1, v2 } = await templates();
const root = await mkdtemp(join(tmpdir(), 'writ-shared-context-ab-'));
try {
  const logs = { v1: await build(join(root, 'v1'), v1), v2: await build(join(root, 'v2'), v2) };
  const runs: Record<'v1' | 'v2', { rate: number; cpuPerRecordUs: number }[]> = { v1: [], v2: [] };
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0
      ? (['v1', 'v2', 'v2', 'v1'] as const)
      : (['v2', 'v1', 'v1', 'v2'] as const)) {
      const out = await verify(logs[side]);
      runs[side].push({
        rate: out.records / out.seconds,
        cpuPerRecordUs: (out.cpuSeconds * 1e6) / out.records,
      });
    }
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(`\nverify, ${records} records, ${rounds} ABBA rounds (fresh process per run)`);
  console.log('log          bytes/record   best records/s   median records/s   CPU µs/record (median)');
  for (const side of ['v1', 'v2'] as const) {
    const rates = runs[side].map((x) => x.rate);
    console.log(
      `${side}           ${(logs[side].bytes / logs[side].records).toFixed(0).padStart(8)}   ${Math.max(
        ...rates,
      )
        .toFixed(0)
        .padStart(14)}   ${median(rates).toFixed(0).padStart(16)}   ${median(
        runs[side].map((x) => x.cpuPerRecordUs),
      )
        .toFixed(2)
        .padStart(10)}`,
    );
  }
  const ratio = median(runs.v2.map((x) => x.rate)) / median(runs.v1.map((x) => x.rate));
  console.log(`v2 ÷ v1 median rate: ${ratio.toFixed(3)}×`);
} finally {
  await rm(root, { recursive: true, force: true });
}

// Scenario 5: `verifyLog` over a large log, and raw appends to the file sink.
//
// The large log is built once with the file sink in batched mode from real Writ records (captured from
// the pipeline, with fresh ids), and kept in os.tmpdir() keyed by the @writ/audit version, the record
// version and the size, so later runs reuse it. A marker file written after the sink closed tells a
// finished log from one a killed run left behind (which is rebuilt).
import { execFile } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFileAuditSink, RECORD_VERSION } from '@writ/audit';
import { listSegments } from '@writ/audit/internal';
import { createWrit } from '@writ/core';
import { uuidv7 } from '@writ/core/internal';
import type { AuditEvent, Durability } from '@writ/core/plugin';
import { AUDIT_EVENT_VERSION } from '@writ/core/plugin';
import { createInMemoryAuditSink } from '@writ/core/testing';
import {
  ARGS,
  createAllowAllPolicy,
  createForgetfulBroker,
  defineLookupTool,
  REQUESTER,
  TASK,
  type TempDirs,
} from '../fixtures.ts';
import type { AppendRow, AuditResult } from '../results-schema.ts';
import { fleetBundle } from './fleet-bundle.ts';

const run = promisify(execFile);

/** What the audit-log scenario needs from the run. */
export interface AuditLogContext {
  readonly temps: TempDirs;
  /** Records in the log `verifyLog` reads. */
  readonly logRecords: number;
  /** Keep the built log in os.tmpdir() for later runs (false: a temp dir removed at the end). */
  readonly reuse: boolean;
  /**
   * How many times `verifyLog` reads the log, each in a fresh process. The figure is the fastest run: a
   * busy neighbour on a shared machine only ever slows a run down. Every run is kept in the results.
   */
  readonly verifyRuns: number;
  /** Members of the fleet bundle verified once (hard links to the large log); 0: none. */
  readonly fleetMembers: number;
  /** Raw append runs. */
  readonly appends: readonly { durability: Durability; concurrency: number; records: number }[];
  readonly onProgress?: (message: string) => void;
}

/** Real records of a few Writ calls (task start, decisions, outcomes, task end) to append over and over. */
export async function recordTemplates(): Promise<AuditEvent[]> {
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    policy: createAllowAllPolicy(),
    audit,
    credentials: createForgetfulBroker(),
    durability: 'async',
  });
  const tool = defineLookupTool(writ);
  await writ.task({ ...TASK, requester: REQUESTER }, async () => {
    for (let i = 0; i < 8; i++) await tool.execute(ARGS);
  });
  // as stored: the decision records after the task's first refer to its shared evaluated context
  return audit.lines.map((line) => JSON.parse(line) as AuditEvent);
}

interface Appender {
  append(event: AuditEvent, options: { durability: Durability }): Promise<unknown>;
}

/** Appends `records` records with `concurrency` appends in flight; returns the seconds it took. */
async function appendMany(
  sink: Appender,
  templates: readonly AuditEvent[],
  records: number,
  durability: Durability,
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < records) {
      const n = next++;
      const template = templates[n % templates.length] as AuditEvent;
      await sink.append({ ...template, id: uuidv7() }, { durability });
      if (n > 0 && n % 100_000 === 0) onProgress?.(n);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - started) / 1000;
}

interface LogInfo {
  readonly auditDir: string;
  readonly records: number;
  readonly bytes: number;
  readonly reused: boolean;
  readonly buildSeconds: number | null;
  readonly verifierKey: string;
}

interface Marker {
  /** Records appended (the size in the key); the log also holds the checkpoint records. */
  readonly appended: number;
  readonly records: number;
  readonly bytes: number;
  readonly verifierKey: string;
  readonly buildSeconds: number;
}

async function logBytes(auditDir: string): Promise<number> {
  let bytes = 0;
  for (const segment of await listSegments(auditDir)) bytes += (await stat(segment.path)).size;
  return bytes;
}

async function readMarker(file: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** The large log: reused when a finished one of the same key exists, else built. */
async function largeLog(ctx: AuditLogContext, templates: readonly AuditEvent[]): Promise<LogInfo> {
  const auditVersion = (createRequire(import.meta.url)('@writ/audit/package.json') as { version: string })
    .version;
  const base = ctx.reuse
    ? join(
        tmpdir(),
        `writ-bench-log-${auditVersion}-r${RECORD_VERSION}-e${AUDIT_EVENT_VERSION}-${ctx.logRecords}`,
      )
    : await ctx.temps.make('verify-log');
  const auditDir = join(base, 'audit');
  const markerFile = join(base, 'bench-complete.json');
  const marker = ctx.reuse ? await readMarker(markerFile) : undefined;
  if (marker !== undefined && marker.appended === ctx.logRecords) {
    return { auditDir, ...marker, reused: true };
  }
  await rm(auditDir, { recursive: true, force: true });
  await rm(markerFile, { force: true });
  ctx.onProgress?.(`building a ${ctx.logRecords}-record log in ${base}`);
  const sink = await createFileAuditSink({ dir: auditDir, keyDir: join(base, 'keys') });
  let seconds: number;
  try {
    seconds = await appendMany(sink, templates, ctx.logRecords, 'batched', 256, (n) =>
      ctx.onProgress?.(`  ${n} records`),
    );
  } finally {
    await sink.close?.();
  }
  const built: Marker = {
    appended: ctx.logRecords,
    records: sink.size,
    bytes: await logBytes(auditDir),
    verifierKey: sink.verifierKey,
    buildSeconds: seconds,
  };
  if (ctx.reuse) await writeFile(markerFile, `${JSON.stringify(built)}\n`);
  return { auditDir, ...built, reused: false };
}

interface ChildRun {
  readonly ok?: boolean;
  readonly reason?: string;
  readonly records: number;
  readonly seconds: number;
  /** CPU time of the whole process (every thread). */
  readonly cpuSeconds: number;
  readonly workers?: number;
}

/**
 * Runs a bench child (`verify-child.ts`, `verify-floor-child.ts`, `verify-fleet-child.ts`) in a fresh
 * Node process, as the `writ verify` command runs. In the bench process itself, after the latency and
 * throughput scenarios, the same verify measured 2.5× slower (132,000 against 322,000–345,000 records/s
 * alone or after any one scenario).
 */
async function inChild(script: string, args: readonly string[]): Promise<ChildRun> {
  const child = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const { stdout } = await run(process.execPath, [child, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildRun;
}

/** The floor configurations measured next to the verify runs: threads, and whether the tree is folded. */
const FLOORS = [
  { threads: 1, tree: false },
  { threads: 2, tree: false },
  { threads: 2, tree: true },
] as const;

/** Verifies the large log and measures raw appends. */
export async function runAuditLog(ctx: AuditLogContext): Promise<AuditResult> {
  const templates = await recordTemplates();
  const log = await largeLog(ctx, templates);
  const runs: { seconds: number; recordsPerSec: number; cpuSeconds: number }[] = [];
  const floorRuns: ChildRun[][] = FLOORS.map(() => []);
  let records = 0;
  // each verify run is followed by one run of each floor, in an order that alternates, so that the
  // machine's swings land on both alike
  for (let i = 1; i <= ctx.verifyRuns; i++) {
    ctx.onProgress?.(`verifying ${log.records} records (run ${i}/${ctx.verifyRuns}), and its floors`);
    const verdict = await inChild('verify-child.ts', [log.auditDir, log.verifierKey]);
    if (!verdict.ok) throw new Error(`the benchmark log does not verify: ${verdict.reason}`);
    records = verdict.records;
    runs.push({
      seconds: verdict.seconds,
      recordsPerSec: verdict.records / verdict.seconds,
      cpuSeconds: verdict.cpuSeconds,
    });
    const order = FLOORS.map((_, k) => k);
    for (const k of i % 2 === 0 ? order.reverse() : order) {
      const { threads, tree } = FLOORS[k] as (typeof FLOORS)[number];
      const args = [log.auditDir, String(threads), ...(tree ? ['--tree'] : [])];
      (floorRuns[k] as ChildRun[]).push(await inChild('verify-floor-child.ts', args));
    }
  }
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const floor = FLOORS.map((config, k) => {
    const fastest = (floorRuns[k] as ChildRun[]).reduce((a, b) => (b.seconds < a.seconds ? b : a));
    return {
      ...config,
      seconds: fastest.seconds,
      recordsPerSec: fastest.records / fastest.seconds,
      cpuSeconds: fastest.cpuSeconds,
    };
  });

  let fleet: AuditResult['fleet'] = null;
  if (ctx.fleetMembers > 0) {
    ctx.onProgress?.(
      `verifying a fleet bundle of ${ctx.fleetMembers} × ${log.records} records, and its floors`,
    );
    const bundle = await fleetBundle(
      log.auditDir,
      join(await ctx.temps.make('fleet-bundle'), 'bundle'),
      ctx.fleetMembers,
    );
    const verdict = await inChild('verify-fleet-child.ts', [bundle.dir, bundle.fleetKey]);
    if (!verdict.ok) throw new Error(`the benchmark fleet bundle does not verify: ${verdict.reason}`);
    const floorRuns = [];
    for (const tree of [false, true]) {
      const args = [bundle.memberDirs.join(','), '2', ...(tree ? ['--tree'] : [])];
      const run = await inChild('verify-floor-child.ts', args);
      floorRuns.push({
        threads: 2,
        tree,
        seconds: run.seconds,
        recordsPerSec: run.records / run.seconds,
        cpuSeconds: run.cpuSeconds,
      });
    }
    fleet = {
      members: ctx.fleetMembers,
      records: verdict.records,
      workers: verdict.workers ?? 0,
      seconds: verdict.seconds,
      recordsPerSec: verdict.records / verdict.seconds,
      cpuSeconds: verdict.cpuSeconds,
      floor: floorRuns,
    };
  }

  const append: AppendRow[] = [];
  for (const run of ctx.appends) {
    ctx.onProgress?.(`appending ${run.records} records, ${run.durability}, ${run.concurrency} in flight`);
    const sink = await createFileAuditSink({
      dir: await ctx.temps.make(`append-${run.durability}`),
      keyDir: await ctx.temps.make('append-keys'),
    });
    try {
      const seconds = await appendMany(sink, templates, run.records, run.durability, run.concurrency);
      await sink.flush?.();
      append.push({ ...run, seconds, recordsPerSec: run.records / seconds });
    } finally {
      await sink.close?.();
    }
  }
  return {
    log: {
      records,
      bytes: log.bytes,
      reused: log.reused,
      buildSeconds: log.reused ? null : log.buildSeconds,
    },
    verify: { ok: true, records, seconds: best.seconds, recordsPerSec: best.recordsPerSec, runs },
    floor,
    fleet,
    append,
  };
}

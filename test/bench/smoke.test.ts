// The benchmark suite on tiny sizes (`run.ts --smoke`): it must run end to end and write results that
// match the schema. Figures are never asserted: this machine is shared and noisy (see PERFORMANCE.md).
// Runs the built packages, like `npm run bench`: build first.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Results, resultsSchema } from './results-schema.ts';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

function runNode(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench -- --smoke', () => {
  let dir: string;
  let results: Results;
  let output: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'writ-bench-smoke-'));
    const out = join(dir, 'results.json');
    const run = await runNode([RUN, '--smoke', '--out', out]);
    output = run.output;
    expect(run.code, run.output).toBe(0);
    const parsed = resultsSchema.safeParse(JSON.parse(await readFile(out, 'utf8')));
    if (!parsed.success) throw new Error(`results.json does not match the schema: ${parsed.error.message}`);
    results = parsed.data;
  }, 300_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes one well-formed results.json for a smoke run', async () => {
    expect(await readdir(dir)).toEqual(['results.json']);
    expect(results.mode).toBe('smoke');
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(Object.keys(results.run.scenarioSeconds).sort()).toEqual([
      'adapters',
      'audit',
      'coldstart',
      'cores',
      'latency',
      'memory',
      'peers',
      'throughput',
      'toolserver',
    ]);
    expect(results.machine.loadAverage).toHaveLength(3);
    expect(output).toMatch(
      /\ntotal \d+ s \(latency \d+ s, .*\) · load average [\d.]+ \/ [\d.]+ \/ [\d.]+ at the end\n/,
    );
  });

  it('measures every latency case, with the AuthZEN pair only when Cerbos started', () => {
    const ids = results.latency.map((r) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'bare',
        'span',
        'cedar-direct',
        'writ-cedar-strict',
        'writ-cedar-batched',
        'writ-cedar-async',
        'writ-memory-async',
        'writ-core-async',
        'writ-cedar-cached-async',
        'task-start-end',
        'evidence-floor',
        'evidence-floor-v1',
        'cedar-evidence-floor',
      ]),
    );
    const cerbosSkipped = results.skipped.some((s) => s.scenario === 'authzen');
    expect(ids.includes('writ-authzen-async')).toBe(!cerbosSkipped);
    for (const row of results.latency) expect(row.samples, row.id).toBeGreaterThan(0);
    // the evidence floor's records, by version: the shared evaluated context by reference is smaller
    const bytes = (id: string) => results.latency.find((r) => r.id === id)?.recordBytes;
    expect(bytes('evidence-floor')?.decision).toBeLessThan(bytes('evidence-floor-v1')?.decision ?? 0);
    expect(output).toMatch(/evidence floor: .*\[decision [\d,]+ B, call [\d,]+ B\]/);
  });

  it('samples the Cedar ratio pair and its evidence floor in alternating batches; the target reads both', () => {
    expect(results.pairs.map((p) => [p.baseline, p.case])).toEqual([
      ['cedar-direct', 'writ-cedar-async'],
      ['cedar-direct', 'cedar-evidence-floor'],
      ['evidence-floor-v1', 'evidence-floor'],
    ]);
    for (const pair of results.pairs) {
      expect(pair.baselineSamples).toBeGreaterThan(0);
      expect(pair.caseSamples).toBeGreaterThan(0);
    }
    const [writPair, floorPair] = results.pairs;
    const target = results.targets.find((t) => t.id === 'cedar-ratio');
    expect(target?.value).toBe(writPair?.p50Ratio);
    expect(target?.floor).toEqual({ value: floorPair?.p50Ratio, met: null });
    expect(output).toContain('Pair (alternating batches)');
  });

  it('gives the own-overhead and throughput targets their floor from the same run', () => {
    const row = (id: string) => results.latency.find((r) => r.id === id);
    const floor = row('evidence-floor');
    const bare = row('bare');
    if (floor === undefined || bare === undefined) throw new Error('evidence-floor or bare was not measured');
    const target = (id: string) => results.targets.find((t) => t.id === id);
    expect(target('writ-overhead-p50')?.floor?.value).toBe(floor.p50Us - bare.p50Us);
    expect(target('writ-overhead-p99')?.floor?.value).toBe(floor.p99Us - bare.p99Us);
    expect(target('strict-throughput-c64')?.floor?.value).toBe(row('cedar-direct')?.opsPerSec);
  });

  it('covers throughput, memory and the audit log', () => {
    expect(results.throughput.map((r) => r.concurrency)).toEqual(expect.arrayContaining([1, 64, 1024]));
    expect(results.memory?.points.length).toBeGreaterThanOrEqual(2);
    expect(results.audit?.verify.ok).toBe(true);
    const runs = results.audit?.verify.runs ?? [];
    expect(runs).toHaveLength(2);
    expect(results.audit?.verify.seconds).toBe(Math.min(...runs.map((r) => r.seconds)));
    expect(results.audit?.append.length).toBeGreaterThan(0);
    // the verify floor (read + hash on 1 and 2 threads, and with the tree) and the fleet bundle with its floor
    expect(results.audit?.floor.map((f) => [f.threads, f.tree])).toEqual([
      [1, false],
      [2, false],
      [2, true],
    ]);
    expect(results.audit?.fleet).toMatchObject({ members: 2 });
    expect(results.audit?.fleet?.records).toBeGreaterThan(2 * (results.audit?.verify.records ?? 0));
    expect(results.audit?.fleet?.floor.map((f) => [f.threads, f.tree])).toEqual([
      [2, false],
      [2, true],
    ]);
    // the verify targets' floors include the tree: a verifier checking checkpoint roots cannot skip it
    const target = (id: string) => results.targets.find((t) => t.id === id);
    const withTree = results.audit?.floor.find((f) => f.tree);
    expect(target('verify-rate')?.floor?.value).toBe(withTree?.recordsPerSec);
    const fleet = results.audit?.fleet;
    const fleetTree = fleet?.floor.find((f) => f.tree);
    expect(target('fleet-verify')?.floor?.value).toBe(
      fleet && fleetTree ? (fleetTree.seconds * 10_000_000) / fleet.records : undefined,
    );
  });

  it('measures the peers and the AI SDK adapter on the same tool, and prints the "vs peers" section', () => {
    expect(results.peers.map((r) => r.id)).toEqual([
      'peer-bare',
      'peer-span',
      'peer-openllmetry',
      'peer-openinference',
      'peer-langfuse',
      'peer-writ-core',
      'ai-sdk-loop',
      'ai-sdk-loop-approval',
      'ai-sdk-loop-writ',
      'ai-sdk-loop-writ-direct',
      'ai-sdk-loop-writ-ledger',
    ]);
    for (const row of results.peers) expect(row.samples, row.id).toBeGreaterThan(0);
    for (const pair of results.peerPairs) expect(pair.caseSamples, pair.case).toBeGreaterThan(0);
    const target = (id: string) => results.targets.find((t) => t.id === id);
    const openllmetry = results.peerPairs.find((p) => p.baseline === 'peer-openllmetry');
    expect(target('core-vs-openllmetry')?.value).toBe(openllmetry?.p50Ratio);
    const evidence = results.latency.find((r) => r.id === 'evidence-floor')?.p50Us ?? Number.NaN;
    const peer = results.peers.find((r) => r.id === 'peer-openllmetry')?.p50Us ?? Number.NaN;
    expect(target('core-vs-openllmetry')?.floor?.value).toBeCloseTo(evidence / peer, 9);
    expect(target('ai-sdk-adapter-gap')?.value).toEqual(expect.any(Number));
    // its floor: the adapter kit's run with the tool call id (the call ledger) in the same loop
    const inLoop = (id: string) =>
      results.peerPairs.find((p) => p.baseline === 'ai-sdk-loop' && p.case === id)?.p50OverheadUs ??
      Number.NaN;
    expect(target('ai-sdk-adapter-gap')?.floor?.value).toBeCloseTo(
      inLoop('ai-sdk-loop-writ-ledger') / inLoop('ai-sdk-loop-writ-direct'),
      9,
    );
    expect(output).toContain('vs peers (alternating batches)');
    expect(output).toContain('adapter gap:');
  });

  it('measures cold start in fresh processes next to the imports of its baselines', () => {
    const cold = results.coldStart;
    expect(cold?.runs).toBe(2);
    expect(cold?.baselines.map((b) => b.module)).toEqual([
      '@opentelemetry/api',
      'zod',
      'zod+@opentelemetry/api',
      '@writ/core',
    ]);
    expect(cold?.firstCallMs).toBeGreaterThan(0);
    // the first call and the runtime's start, in parts
    expect(Object.keys(cold?.firstCallParts ?? {})).toEqual(['create', 'ready', 'token', 'firstTask']);
    expect(Object.keys(cold?.startParts ?? {})).toEqual([
      'importIdentity',
      'importPolicy',
      'importAudit',
      'cedarWasm',
      'cedarPolicies',
      'keys',
      'auditLog',
    ]);
    const target = results.targets.find((t) => t.id === 'import-writ');
    expect(target?.value).toBe(cold?.importMs);
    const floor = cold?.baselines.find((b) => b.module === 'zod+@opentelemetry/api');
    expect(target?.floor?.value).toBe(floor?.importMs);
    expect(output).toContain('Cold start');
    expect(output).toContain('Cedar policy set: parse, validate, preparse');
  });

  it('measures the tool-server path and all cores in the same results file, each target with its floor', () => {
    expect(results.toolServer?.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'request-cached-strict',
        'request-cached-batched',
        'request-cached-reads-credential-strict',
        'request-cached-reads-credential-batched',
      ]),
    );
    const cores = results.cores ?? [];
    expect(cores.map((r) => r.kind)).toEqual(['cedar', 'pool', 'writ', 'writ']);
    for (const row of cores) expect(row.cpuPerCallUs, row.id).toBeGreaterThan(0);
    const target = (id: string) => results.targets.find((t) => t.id === id);
    const pool = cores.find((r) => r.kind === 'pool');
    const writ = cores.find((r) => r.kind === 'writ' && r.workers > 0);
    expect(target('strict-cedar-c64-cores')?.value).toBe(writ?.vsCedarSingleThread);
    expect(target('strict-cedar-c64-cores')?.floor).toEqual({ value: pool?.vsCedarSingleThread, met: null });
    const strict = results.toolServer?.find((r) => r.id === 'request-cached-strict');
    expect(target('tool-server-cpu-strict')?.value).toBe(strict?.cpuP50Us);
    // the floor: Cedar direct on the request's own call, sampled beside the requests
    const cedar = results.toolServer?.find((r) => r.id === 'cedar-direct');
    expect(cedar?.cpuP50Us).toBeGreaterThan(0);
    expect(target('tool-server-cpu-strict')?.floor?.value).toBe(cedar?.cpuP50Us);
    expect(output).toContain('Tool-server path');
    expect(output).toContain('All cores: embedded Cedar');
  });

  it('reports every target in one table without judging it', () => {
    expect(results.targets.map((t) => t.id)).toEqual([
      'writ-overhead-p50',
      'writ-overhead-p99',
      'cedar-ratio',
      'strict-throughput-c64',
      'strict-cedar-c64-cores',
      'tool-server-cpu-strict',
      'tool-server-cpu-batched',
      'core-vs-openllmetry',
      'ai-sdk-adapter-gap',
      'import-writ',
      'verify-rate',
      'fleet-verify',
      'heap-growth',
    ]);
    for (const target of results.targets) expect(target.met).toBeNull();
    expect(results.targets.find((t) => t.id === 'cedar-ratio')?.threshold).toBe('≤ 1.10×');
    expect(output).toContain('Latency (µs)');
    expect(output.match(/^Target {2}/gm)).toHaveLength(1);
  });
});

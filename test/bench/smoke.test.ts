// The benchmark suite on tiny sizes (`run.ts --smoke`): it must run end to end and write results that
// match the schema. Figures are never asserted: this machine is shared and noisy (see PERFORMANCE.md).
// Runs the built packages, like `npm run bench`: build first.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
  }, 180_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes a well-formed results.json for a smoke run', () => {
    expect(results.mode).toBe('smoke');
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(Object.keys(results.run.scenarioSeconds).sort()).toEqual([
      'audit',
      'coldstart',
      'latency',
      'memory',
      'peers',
      'throughput',
    ]);
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
    expect(target('verify-rate')?.floor).toBeNull();
  });

  it('covers throughput, memory and the audit log', () => {
    expect(results.throughput.map((r) => r.concurrency)).toEqual(expect.arrayContaining([1, 64, 1024]));
    expect(results.memory?.points.length).toBeGreaterThanOrEqual(2);
    expect(results.audit?.verify.ok).toBe(true);
    const runs = results.audit?.verify.runs ?? [];
    expect(runs).toHaveLength(2);
    expect(results.audit?.verify.seconds).toBe(Math.min(...runs.map((r) => r.seconds)));
    expect(results.audit?.append.length).toBeGreaterThan(0);
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
    ]);
    for (const row of results.peers) expect(row.samples, row.id).toBeGreaterThan(0);
    for (const pair of results.peerPairs) expect(pair.caseSamples, pair.case).toBeGreaterThan(0);
    const target = (id: string) => results.targets.find((t) => t.id === id);
    const openllmetry = results.peerPairs.find((p) => p.baseline === 'peer-openllmetry');
    expect(target('core-vs-openllmetry')?.value).toBe(openllmetry?.p50Ratio);
    expect(target('ai-sdk-adapter-gap')?.value).toEqual(expect.any(Number));
    expect(output).toContain('vs peers (alternating batches)');
    expect(output).toContain('adapter gap:');
  });

  it('measures cold start in fresh processes next to the imports of its baselines', () => {
    const cold = results.coldStart;
    expect(cold?.runs).toBe(2);
    expect(cold?.baselines.map((b) => b.module)).toEqual(['@opentelemetry/api', 'zod', '@writ/core']);
    expect(cold?.firstCallMs).toBeGreaterThan(0);
    const target = results.targets.find((t) => t.id === 'import-writ');
    expect(target?.value).toBe(cold?.importMs);
    expect(target?.floor?.value).toBe(cold?.baselines.find((b) => b.module === 'zod')?.importMs);
    expect(output).toContain('Cold start');
  });

  it('reports every target without judging it, and prints the table', () => {
    expect(results.targets.map((t) => t.id)).toEqual([
      'writ-overhead-p50',
      'writ-overhead-p99',
      'cedar-ratio',
      'strict-throughput-c64',
      'core-vs-openllmetry',
      'ai-sdk-adapter-gap',
      'import-writ',
      'verify-rate',
      'heap-growth',
    ]);
    for (const target of results.targets) expect(target.met).toBeNull();
    expect(output).toContain('Latency (µs)');
  });
});

// Scenario: the tool-server path. One inbound request to a tool server (MCP or HTTP) = verify the caller's
// task token + continue the caller's task (`writ.task({ inbound })`) + one call + its records. Sampled as
// CPU time (user + system) and wall time per request, strict and batched durability, with the parts of
// a request (verify alone, an empty continued task, one call in an open task) sampled alongside, in the
// same interleaved rounds, so the table says where the milliseconds go.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ToolContext, Writ } from '@writ/core';
import {
  createLocalAuthority,
  createTaskTokenVerifier,
  mintTaskToken,
  type VerifiedTaskToken,
  verifyTaskToken,
} from '@writ/identity';
import { createWrit, type WritRuntime } from 'writ';
import {
  ARGS,
  captureRequest,
  defineLookupTool,
  type LookupArgs,
  type LookupTool,
  lookupOrder,
  lookupToolDefinition,
  type TempDirs,
} from '../fixtures.ts';
import { type LatencyCase, type LatencyPlan, sampleLatency, summarize } from '../sampling.ts';
import { cedarDirect } from './latency.ts';

/** The tool server's audience (its resource URI): the caller's credential names it. */
export const SERVER_AUDIENCE = 'https://orders.example.com/mcp';

/** One row of the tool-server table: wall and CPU p50 of one case. */
export interface ToolServerRow {
  readonly id: string;
  readonly name: string;
  readonly durability: 'strict' | 'batched' | 'none';
  readonly samples: number;
  readonly wallP50Us: number;
  readonly wallP99Us: number;
  readonly cpuP50Us: number;
  readonly cpuP99Us: number;
  /** Audit records appended per request, counted over the run. */
  readonly recordsPerRequest?: number;
}

/** What the scenario needs from the run. */
export interface ToolServerContext {
  readonly temps: TempDirs;
  readonly plan: LatencyPlan;
}

interface Server {
  readonly runtime: WritRuntime;
  readonly tool: LookupTool;
  /** `lookup_order` whose body reads its per-call credential's token (as a tool calling its audience does). */
  readonly reading: LookupTool;
  /** Records in the server's log. */
  readonly size: () => number;
}

async function openServer(dir: string, durability: 'strict' | 'batched'): Promise<Server> {
  const runtime = createWrit({ dir, durability, service: 'orders-mcp' });
  const { fileAudit } = await runtime.ready();
  if (fileAudit === undefined) throw new Error('the zero-config runtime has no file audit log');
  const reading = (runtime as Writ).tool({
    ...lookupToolDefinition(),
    execute: (args: LookupArgs, ctx: ToolContext) => {
      if (typeof ctx.credential?.token !== 'string') throw new Error('no per-call credential');
      return lookupOrder(args);
    },
  });
  return { runtime, tool: defineLookupTool(runtime as Writ), reading, size: () => fileAudit.size };
}

/** Audit records one request appends, counted over `n` requests. */
async function recordsPerRequest(request: () => Promise<unknown>, server: Server, n = 20): Promise<number> {
  await server.runtime.flush();
  const before = server.size();
  for (let i = 0; i < n; i++) await request();
  await server.runtime.flush();
  return (server.size() - before) / n;
}

/** A caller's per-audience credential for the server, minted by the caller's own authority. */
export async function callerToken(dir: string) {
  const authority = await createLocalAuthority({ dir, trustDomain: 'caller.example' });
  const { token } = await mintTaskToken(authority, {
    attribution: {
      taskId: randomUUID(),
      correlationId: randomUUID(),
      requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
      autonomous: false,
      chain: [{ kind: 'agent', id: authority.agentId('support-bot'), assurance: 'verified' }],
      scope: ['*'],
    },
    audience: SERVER_AUDIENCE,
    ttlSec: 3600,
  });
  return { authority, token };
}

/** CPU-time sampler: runs `fn` and pushes its user + system CPU time in µs. */
function cpuTimed(fn: () => Promise<unknown>, cpu: number[]): () => Promise<unknown> {
  return async () => {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    cpu.push(used.user + used.system);
  };
}

/** Builds the cases, samples them in interleaved rounds and returns one row per case. */
export async function runToolServer(ctx: ToolServerContext): Promise<ToolServerRow[]> {
  const { authority, token } = await callerToken(await ctx.temps.make('caller'));
  const verifyOptions = {
    issuer: authority.issuer,
    audience: SERVER_AUDIENCE,
    jwks: authority.jwks(),
  };
  const cached = createTaskTokenVerifier(verifyOptions);
  const decide = await cedarDirect(await captureRequest(await ctx.temps.make('server-capture')));
  const servers: Server[] = [];
  try {
    const specs: {
      id: string;
      name: string;
      durability: ToolServerRow['durability'];
      fn: () => Promise<unknown>;
      server?: Server;
      inside?: LatencyCase['inside'];
      afterRound?: () => Promise<void>;
    }[] = [
      {
        id: 'verify-token',
        name: 'verifyTaskToken (signature, claims) alone',
        durability: 'none',
        fn: () => verifyTaskToken(token, verifyOptions),
      },
      {
        id: 'verify-token-cached',
        name: 'createTaskTokenVerifier, token seen before (revocation + expiry still checked)',
        durability: 'none',
        fn: () => cached(token),
      },
      {
        id: 'cedar-direct',
        name: "Cedar direct: one decision on the request's own call (the floor's policy part)",
        durability: 'none',
        fn: async () => decide(),
      },
    ];
    const inbound = (await verifyTaskToken(token, verifyOptions)) as VerifiedTaskToken;
    for (const durability of ['strict', 'batched'] as const) {
      const server = await openServer(await ctx.temps.make(`server-${durability}`), durability);
      servers.push(server);
      const { runtime, tool } = server;
      const task = { agent: 'orders-mcp' };
      const flush = () => runtime.flush();
      specs.push(
        {
          id: `request-${durability}`,
          name: `request: verifyTaskToken + continued task + 1 call, ${durability}`,
          durability,
          server,
          afterRound: flush,
          fn: async () => {
            const verified = await verifyTaskToken(token, verifyOptions);
            return runtime.task({ ...task, inbound: verified }, () => tool.execute(ARGS));
          },
        },
        {
          id: `request-cached-${durability}`,
          name: `request: cached verifier + continued task + 1 call, ${durability}`,
          durability,
          server,
          afterRound: flush,
          fn: async () => {
            const verified = await cached(token);
            return runtime.task({ ...task, inbound: verified }, () => tool.execute(ARGS));
          },
        },
        {
          id: `request-cached-reads-credential-${durability}`,
          name: `request: cached verifier + continued task + 1 call whose tool reads its credential, ${durability}`,
          durability,
          server,
          afterRound: flush,
          fn: async () => {
            const verified = await cached(token);
            return runtime.task({ ...task, inbound: verified }, () => server.reading.execute(ARGS));
          },
        },
        {
          id: `task-only-${durability}`,
          name: `continued task, no call (task-start + task-end), ${durability}`,
          durability,
          afterRound: flush,
          fn: () => runtime.task({ ...task, inbound }, async () => undefined),
        },
        {
          id: `call-only-${durability}`,
          name: `1 call inside an open continued task, ${durability}`,
          durability,
          afterRound: flush,
          inside: (body) => runtime.task({ ...task, inbound }, body),
          fn: () => tool.execute(ARGS),
        },
      );
    }
    const cpu = new Map<string, number[]>(specs.map((s) => [s.id, []]));
    const cases: LatencyCase[] = specs.map((s) => ({
      id: s.id,
      fn: cpuTimed(s.fn, cpu.get(s.id) as number[]),
      ...(s.inside === undefined ? {} : { inside: s.inside }),
      ...(s.afterRound === undefined ? {} : { afterRound: s.afterRound }),
    }));
    const wall = await sampleLatency(cases, ctx.plan);
    const records = new Map<string, number>();
    for (const s of specs) {
      if (s.server !== undefined) records.set(s.id, await recordsPerRequest(s.fn, s.server));
    }
    return specs.map((s): ToolServerRow => {
      const w = summarize(wall.get(s.id) ?? []);
      const c = summarize(cpu.get(s.id) ?? []);
      const perRequest = records.get(s.id);
      return {
        id: s.id,
        name: s.name,
        durability: s.durability,
        samples: w.samples,
        wallP50Us: w.p50Us,
        wallP99Us: w.p99Us,
        cpuP50Us: c.p50Us,
        cpuP99Us: c.p99Us,
        ...(perRequest === undefined ? {} : { recordsPerRequest: perRequest }),
      };
    });
  } finally {
    for (const server of servers) await server.runtime.close().catch(() => undefined);
  }
}

/** Prints the rows as a table. */
export function formatToolServer(rows: readonly ToolServerRow[]): string {
  const lines = [
    '| case | wall p50 µs | wall p99 µs | CPU p50 µs | CPU p99 µs | records | samples |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.wallP50Us.toFixed(0)} | ${r.wallP99Us.toFixed(0)} | ${r.cpuP50Us.toFixed(0)} | ${r.cpuP99Us.toFixed(0)} | ${r.recordsPerRequest ?? ''} | ${r.samples} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Runs cached-verifier requests back to back for `seconds`, for a CPU profile:
 * `node --cpu-prof --cpu-prof-dir=/tmp/writ-prof test/bench/scenarios/tool-server.ts --hot batched 8`.
 */
async function hot(temps: TempDirs, durability: 'strict' | 'batched', seconds: number): Promise<void> {
  const { authority, token } = await callerToken(await temps.make('caller'));
  const verify = createTaskTokenVerifier({
    issuer: authority.issuer,
    audience: SERVER_AUDIENCE,
    jwks: authority.jwks(),
  });
  const server = await openServer(await temps.make('server-hot'), durability);
  try {
    const until = performance.now() + seconds * 1000;
    let requests = 0;
    while (performance.now() < until) {
      const inbound = await verify(token);
      await server.runtime.task({ agent: 'orders-mcp', inbound }, () => server.tool.execute(ARGS));
      requests++;
    }
    console.log(`${requests} requests in ${seconds} s`);
  } finally {
    await server.runtime.close();
  }
}

// `node test/bench/scenarios/tool-server.ts` runs this scenario alone and prints its table.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { TempDirs } = await import('../fixtures.ts');
  const temps = new TempDirs();
  const started = performance.now();
  try {
    if (process.argv[2] === '--hot') {
      await hot(temps, process.argv[3] === 'strict' ? 'strict' : 'batched', Number(process.argv[4] ?? 8));
      process.exit(0);
    }
    const rows = await runToolServer({ temps, plan: { rounds: 4, timeMs: 300, warmupMs: 200 } });
    console.log(formatToolServer(rows));
    console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await temps.removeAll();
  }
}

// Compares two builds of the zero-config runtime (`writ` with its @writ/* packages) on the tool-server
// path in one process: the same inbound request (a cached caller-token check + `writ.task({ inbound })`
// + one call of `lookup_order`) against each build's own server (Cedar, file log), strict and batched,
// in alternating ABBA rounds so a shared machine's drift lands on both alike. For before/after figures
// of a change to the request path:
//
//   git checkout <before> -- packages/core/src packages/audit/src packages/identity/src packages/writ/src
//   for p in core audit identity writ; do (cd packages/$p && npx tsup); done
//   AB=node_modules/.ab-server/node_modules; mkdir -p $AB/@writ $AB/writ
//   for p in core audit identity policy; do mkdir -p $AB/@writ/$p; cp -r packages/$p/{package.json,dist} $AB/@writ/$p/; done
//   cp -r packages/policy/policies $AB/@writ/policy/   # the default policies createWrit loads
//   cp -r packages/writ/{package.json,dist} $AB/writ/
//   git checkout HEAD -- packages/core/src packages/audit/src packages/identity/src packages/writ/src   # and rebuild them
//
// (Or copy the dists aside before making the change, as the third round did: no checkout needed.)
//   node test/bench/ab-server.ts node_modules/.ab-server/node_modules 20
//
// The copy must sit under the repository's node_modules (its third-party imports resolve from there).
// Prints, per build and durability: CPU p50 and wall p50 per request (user + system CPU of this
// process), records and fdatasync calls per request.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createTaskTokenVerifier } from '@writ/identity';
import type * as Writ from 'writ';
import { ARGS, lookupToolDefinition, TempDirs } from './fixtures.ts';
import { quantile } from './sampling.ts';
import { callerToken, SERVER_AUDIENCE } from './scenarios/tool-server.ts';
import { setUpTracing } from './tracing.ts';

const [beforeRoot, secondsArg] = process.argv.slice(2);
if (beforeRoot === undefined) {
  console.error('usage: ab-server.ts <node_modules of the before build> [seconds=20]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 20);
const ROUND_MS = 250;

// fdatasync calls, counted on the FileHandle prototype both builds share
let syncs = 0;
{
  const { open } = await import('node:fs/promises');
  const probe = await open(process.argv[1] as string, 'r');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  const datasync = proto.datasync;
  proto.datasync = function counted(this: unknown) {
    syncs++;
    return datasync.call(this);
  };
}

interface Side {
  readonly label: string;
  readonly request: () => Promise<unknown>;
  readonly size: () => number;
  readonly close: () => Promise<void>;
  readonly cpu: number[];
  readonly wall: number[];
  requests: number;
  records: number;
  syncs: number;
}

const temps = new TempDirs();
const tracing = setUpTracing();
const { authority, token } = await callerToken(await temps.make('ab-caller'));
const verify = createTaskTokenVerifier({
  issuer: authority.issuer,
  audience: SERVER_AUDIENCE,
  jwks: authority.jwks(),
});

async function side(label: string, writ: typeof Writ, durability: 'strict' | 'batched'): Promise<Side> {
  const runtime = writ.createWrit({
    dir: await temps.make(`ab-${label}`),
    durability,
    service: 'orders-mcp',
  });
  const { fileAudit } = await runtime.ready();
  if (fileAudit === undefined) throw new Error('no file audit log');
  const tool = runtime.tool(lookupToolDefinition());
  return {
    label: `${label} ${durability}`,
    request: async () =>
      runtime.task({ agent: 'orders-mcp', inbound: await verify(token) }, () => tool.execute(ARGS)),
    size: () => fileAudit.size,
    close: () => runtime.close(),
    cpu: [],
    wall: [],
    requests: 0,
    records: 0,
    syncs: 0,
  };
}

async function round(s: Side, record: boolean): Promise<void> {
  const size = s.size();
  const synced = syncs;
  const until = performance.now() + ROUND_MS;
  let n = 0;
  while (performance.now() < until) {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await s.request();
    const t1 = performance.now();
    const used = process.cpuUsage(cpu);
    if (record) {
      s.wall.push((t1 - t0) * 1000);
      s.cpu.push(used.user + used.system);
    }
    n++;
  }
  if (record) {
    s.requests += n;
    s.records += s.size() - size;
    s.syncs += syncs - synced;
  }
}

const before = (await import(pathToFileURL(resolve(beforeRoot, 'writ/dist/index.js')).href)) as typeof Writ;
const after = (await import('writ')) as typeof Writ;
const pairs: [Side, Side][] = [];
for (const durability of ['strict', 'batched'] as const) {
  pairs.push([await side('before', before, durability), await side('after', after, durability)]);
}
try {
  for (const [a, b] of pairs) {
    for (let i = 0; i < 2; i++) {
      await round(a, false);
      await round(b, false);
    }
  }
  const rounds = Math.max(2, Math.round((seconds * 1000) / ROUND_MS / 4));
  for (let r = 0; r < rounds; r++) {
    for (const [a, b] of pairs) {
      const order = r % 2 === 0 ? [a, b] : [b, a];
      for (const s of order) await round(s, true);
    }
  }
} finally {
  for (const [a, b] of pairs) {
    await a.close();
    await b.close();
  }
  await tracing.shutdown();
  await temps.removeAll();
}

const p50 = (v: readonly number[]) =>
  quantile(
    [...v].sort((x, y) => x - y),
    0.5,
  );
const f = (v: number, d = 0) => v.toFixed(d).padStart(8);
console.log(`${seconds} s of ${ROUND_MS} ms rounds, ABBA order per durability; per request`);
console.log('                    CPU p50  wall p50   records    syncs   requests');
for (const [a, b] of pairs) {
  for (const s of [a, b]) {
    console.log(
      `${s.label.padEnd(18)} ${f(p50(s.cpu))} ${f(p50(s.wall))} ${f(s.records / s.requests, 2)} ${f(s.syncs / s.requests, 2)} ${f(s.requests)}`,
    );
  }
  console.log(
    `${'after ÷ before'.padEnd(18)} ${f(p50(b.cpu) / p50(a.cpu), 3)} ${f(p50(b.wall) / p50(a.wall), 3)}`,
  );
}

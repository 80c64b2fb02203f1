// Compares two builds of @writ/core in one process: the same call (in-memory allow-all policy, a sink
// that canonically encodes and leaf-hashes every record, opaque credentials, async durability, a real
// OTel SDK tracer) through each build, in alternating ABBA rounds, so a shared machine's drift lands on
// both alike. For before/after figures of a change to the pipeline:
//
//   git stash && (cd packages/core && npx tsup) && cp -r packages/core/dist packages/core/.ab-before
//   git stash pop && (cd packages/core && npx tsup)
//   node test/bench/ab-core.ts packages/core/.ab-before packages/core/dist 20
//
// Both directories must sit inside packages/core (their imports resolve from there). Prints p50 and
// mean wall time per call and CPU time per call (user + system, which a busy neighbour's steal time
// does not inflate), and the after/before ratios.
//
// With `--audit <audit-dist-before> <audit-dist-after>` (directories inside packages/audit) each side's
// sink is instead that build's real log appender (`@writ/audit/internal` `createLogAppender`: encoding,
// leaf hash, chain, Merkle tree, checkpoints) over a storage that drops the bytes, and every round ends
// with a flush inside the CPU window, so work an appender defers is counted in the CPU per call:
//
//   node test/bench/ab-core.ts packages/core/dist packages/core/dist 20 --audit packages/audit/.ab-before packages/audit/dist
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type * as Core from '@writ/core';
import type * as Plugin from '@writ/core/plugin';
import {
  ARGS,
  createAllowAllPolicy,
  createForgetfulBroker,
  lookupToolDefinition,
  REQUESTER,
  TASK,
} from './fixtures.ts';
import { quantile } from './sampling.ts';
import { setUpTracing } from './tracing.ts';

const argv = process.argv.slice(2);
const auditAt = argv.indexOf('--audit');
const auditDirs = auditAt === -1 ? undefined : argv.splice(auditAt, 3).slice(1);
const [dirA, dirB, secondsArg] = argv;
if (dirA === undefined || dirB === undefined) {
  console.error('usage: ab-core.ts <dist-before> <dist-after> [seconds=20]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 20);
const ROUND_MS = 250;

interface Side {
  readonly label: string;
  readonly call: () => Promise<unknown>;
  readonly inTask: (body: () => Promise<void>) => Promise<void>;
  readonly flush: () => Promise<void>;
  readonly wall: number[];
  cpuUs: number;
  calls: number;
}

/** The real log appender of the audit build in `dir`, over a storage that drops the lines. */
async function appenderSink(dir: string): Promise<Plugin.AuditSink> {
  type Audit = typeof import('@writ/audit') & typeof import('@writ/audit/internal');
  const audit = {
    ...(await import(pathToFileURL(resolve(dir, 'index.js')).href)),
    ...(await import(pathToFileURL(resolve(dir, 'internal.js')).href)),
  } as Audit;
  const origin = 'ab.writ.local/audit/discard';
  const appender = audit.createLogAppender({
    origin,
    signer: audit.createNoteSigner(audit.generateNoteKeys(origin).signerKey),
    storage: { write: async () => {}, sync: async () => {} },
  });
  return {
    name: 'discard',
    origin,
    append: (event, { durability }) => appender.append(event, durability),
    flush: () => appender.flush(),
    close: () => appender.close(),
  };
}

async function side(label: string, dir: string, auditDir?: string): Promise<Side> {
  const core = (await import(pathToFileURL(resolve(dir, 'index.js')).href)) as typeof Core;
  // builds since the entry points were split keep the record encoder on @writ/core/plugin
  const { canonicalJson } = (
    'canonicalJson' in core ? core : await import(pathToFileURL(resolve(dir, 'plugin.js')).href)
  ) as typeof Plugin;
  const zero = Buffer.from([0]);
  let index = 0;
  const writ = core.createWrit({
    policy: createAllowAllPolicy(),
    audit:
      auditDir === undefined
        ? {
            name: 'discard',
            async append(event) {
              const line = canonicalJson(event);
              const leafHash = createHash('sha256').update(zero).update(line, 'utf8').digest('hex');
              return { log: 'discard', index: index++, leafHash };
            },
          }
        : await appenderSink(auditDir),
    credentials: createForgetfulBroker(),
    durability: 'async',
  });
  const tool = writ.tool(lookupToolDefinition());
  return {
    label,
    call: () => tool.execute(ARGS),
    inTask: (body) => writ.task({ ...TASK, requester: REQUESTER }, body),
    flush: () => writ.flush(),
    wall: [],
    cpuUs: 0,
    calls: 0,
  };
}

async function round(s: Side, record: boolean): Promise<void> {
  await s.inTask(async () => {
    const cpu = process.cpuUsage();
    const until = performance.now() + ROUND_MS;
    let calls = 0;
    while (performance.now() < until) {
      const t0 = performance.now();
      await s.call();
      const t1 = performance.now();
      if (record) s.wall.push((t1 - t0) * 1000);
      calls++;
    }
    await s.flush(); // deferred work is CPU per call too
    const used = process.cpuUsage(cpu);
    if (record) {
      s.cpuUs += used.user + used.system;
      s.calls += calls;
    }
  });
}

const tracing = setUpTracing();
const a = await side('before', dirA, auditDirs?.[0]);
const b = await side('after', dirB, auditDirs?.[1]);
for (let i = 0; i < 4; i++) {
  await round(a, false);
  await round(b, false);
}
const rounds = Math.max(2, Math.round((seconds * 1000) / ROUND_MS / 2));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [a, b] : [b, a];
  for (const s of order) await round(s, true);
}
await tracing.shutdown();

const stats = (s: Side) => {
  const sorted = [...s.wall].sort((x, y) => x - y);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    cpu: s.cpuUs / s.calls,
  };
};
const sa = stats(a);
const sb = stats(b);
const f = (v: number) => v.toFixed(1).padStart(8);
console.log(`${rounds} rounds of ${ROUND_MS} ms each, ABBA order; µs per call`);
console.log('          p50      p99     mean   cpu/call');
console.log(`before ${f(sa.p50)} ${f(sa.p99)} ${f(sa.mean)} ${f(sa.cpu)}   (${a.wall.length} calls)`);
console.log(`after  ${f(sb.p50)} ${f(sb.p99)} ${f(sb.mean)} ${f(sb.cpu)}   (${b.wall.length} calls)`);
console.log(
  `ratio  ${(sb.p50 / sa.p50).toFixed(3).padStart(8)} ${(sb.p99 / sa.p99).toFixed(3).padStart(8)} ${(sb.mean / sa.mean).toFixed(3).padStart(8)} ${(sb.cpu / sa.cpu).toFixed(3).padStart(8)}`,
);

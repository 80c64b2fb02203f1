// Issue 23 item 2 (one sync per strict request). Under `strict`, a sink that declares `orderedSync` (the
// file log) takes a task's start record without a sync of its own: the task's first strict record (a
// call's decision) covers it, and a task that writes none syncs it before a hop credential leaves the
// process and before the task returns. Attacked across a real crash: a zero-config runtime in a child
// process runs tasks back to back and is SIGKILLed; its side channels say what left the process (a tool
// ran, a task returned, a hop credential was handed out) and how many bytes of each file every fdatasync
// covered. The log is cut to those bytes — what a power cut right after the kill would leave — and every
// task that let something out must have its task-start (and, for a call, its decision) in what is left.
// The real log (not cut) must reopen and verify. Runs against the built packages (`npm test` builds first).
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWrit as createCoreWrit, WritError } from '@writ/core';
import type { AuditSink } from '@writ/core/plugin';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import { readRecords, removeDir, type StoredRecord, tempDir, verifyDeep } from '../runtime/support.js';
import { attack } from './attacks.js';

const CHILD = fileURLToPath(new URL('./start-sync-child.mjs', import.meta.url));
type Mode = 'call' | 'returned' | 'hop';

let root: string;
beforeAll(async () => {
  root = await tempDir('writ-start-sync-');
});
afterAll(async () => {
  await removeDir(root);
});

/** Starts the child, waits until `count` lines of `kind` reached the side channel, and SIGKILLs it. */
async function runAndKill(dir: string, side: string, synced: string, mode: Mode, count: number) {
  const child = spawn(process.execPath, [CHILD, dir, side, synced, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  const kind = mode === 'call' ? 'exec' : mode;
  for (;;) {
    const lines = (await readFile(side, 'utf8').catch(() => '')).split('\n');
    if (lines.filter((l) => l.startsWith(`${kind} `)).length >= count) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

/** The records a power cut would leave: each segment cut to the most bytes an fdatasync covered. */
async function durableRecords(auditDir: string, synced: string): Promise<StoredRecord[]> {
  const covered = new Map<string, number>();
  for (const line of (await readFile(synced, 'utf8')).split('\n')) {
    const [path, size] = line.split('\t');
    if (path === undefined || size === undefined) continue;
    covered.set(path, Math.max(covered.get(path) ?? 0, Number(size)));
  }
  const out: StoredRecord[] = [];
  const segments = (await readdir(auditDir)).filter((n) => n.endsWith('.jsonl')).sort();
  for (const name of segments) {
    const path = join(auditDir, name);
    const bytes = (await readFile(path)).subarray(0, covered.get(path) ?? 0).toString('utf8');
    const lines = bytes.split('\n');
    lines.pop(); // the part after the last newline is no whole record
    for (const line of lines) out.push(JSON.parse(line).r as StoredRecord);
  }
  return out;
}

async function crashAndCheck(mode: Mode) {
  const dir = join(root, mode);
  const side = join(root, `${mode}.side`);
  const synced = join(root, `${mode}.synced`);
  await runAndKill(dir, side, synced, mode, 60);
  const auditDir = join(dir, 'audit');
  const kind = mode === 'call' ? 'exec' : mode;
  const out = (await readFile(side, 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => l.slice(kind.length + 1));

  const durable = await durableRecords(auditDir, synced);
  const started = new Set(durable.filter((r) => r.kind === 'task-start').map((r) => r.taskId as string));
  const decided = new Set(durable.filter((r) => r.kind === 'decision').map((r) => r.taskId as string));
  const noStart = out.filter((t) => !started.has(t));
  const noDecision = mode === 'call' ? out.filter((t) => !decided.has(t)) : [];

  // the log as the crash left it (no power cut): reopens, verifies, holds every start
  const reopened = createWrit({ dir });
  const { fileAudit } = await reopened.ready();
  await reopened.close();
  const verified = await verifyDeep(auditDir, fileAudit?.verifierKey);
  const all = new Set(
    (await readRecords(auditDir)).filter((r) => r.kind === 'task-start').map((r) => r.taskId),
  );
  console.log(
    `start-sync ${mode}: ${out.length} let out, ${durable.length} records durable, ${started.size} durable starts`,
  );
  return { out, noStart, noDecision, verified, missingAfterKill: out.filter((t) => !all.has(t)) };
}

describe('one sync per strict request: the task-start record is durable before anything of the task leaves', () => {
  it(attack(
    'start-sync-call',
    'SIGKILL (and a power cut after it) while strict calls run: every call that ran has its task-start and decision in the synced bytes',
  ), async () => {
    const r = await crashAndCheck('call');
    expect(r.out.length).toBeGreaterThanOrEqual(60);
    expect(r.verified.ok, r.verified.reason).toBe(true);
    expect(r.missingAfterKill).toEqual([]);
    expect(r.noStart, 'calls that ran without a durable task-start').toEqual([]);
    expect(r.noDecision, 'calls that ran without a durable decision').toEqual([]);
  }, 60_000);

  it(attack(
    'start-sync-no-tool',
    'SIGKILL (and a power cut after it) while tasks that run no tool return, or hand out a hop credential: each has its task-start in the synced bytes',
  ), async () => {
    for (const mode of ['returned', 'hop'] as const) {
      const r = await crashAndCheck(mode);
      expect(r.out.length).toBeGreaterThanOrEqual(60);
      expect(r.verified.ok, r.verified.reason).toBe(true);
      expect(r.missingAfterKill).toEqual([]);
      expect(r.noStart, `${mode}: tasks whose start was not durable`).toEqual([]);
    }
  }, 60_000);
});

describe('the task-start record written with the next record: a start that was not written stops the task', () => {
  /**
   * An ordered sink (as the file log declares) whose write of the task-start record fails on its own,
   * after which the log "reopens" and takes the task's later records: what a file log does after a
   * failed write (it reopens on the next append).
   */
  function reopeningSink() {
    const inner = createInMemoryAuditSink();
    const sink: AuditSink = {
      name: 'reopening',
      orderedSync: true,
      append: (event, options) =>
        event.kind === 'task-start'
          ? new Promise((_resolve, reject) => setImmediate(() => reject(new Error('EIO'))))
          : inner.append(event, options),
      flush: async () => undefined,
    };
    return { sink, inner };
  }

  it(
    attack(
      'start-written-with-next',
      'a task whose start record failed to be written runs no tool and returns no result, though its later records were taken',
    ),
    async () => {
      for (const durability of ['strict', 'batched'] as const) {
        const { sink, inner } = reopeningSink();
        const writ = createCoreWrit({
          audit: sink,
          durability,
          policy: createInMemoryPolicy({ fallback: 'allow' }),
          onError: () => undefined,
        });
        const ran: string[] = [];
        const lookup = writ.tool({
          name: 'lookup_order',
          input: z.object({ orderId: z.string() }),
          execute: async ({ orderId }) => {
            ran.push(orderId);
            return orderId;
          },
        });
        // a call after the start's write failed on its own (the decision reaches the reopened log)
        const called = await writ
          .task({ agent: 'orders-mcp' }, async () => {
            await new Promise((r) => setImmediate(r));
            await new Promise((r) => setImmediate(r));
            return lookup.execute({ orderId: 'ord_42' });
          })
          .catch((e: unknown) => e);
        expect(WritError.isInstance(called, 'WRIT_AUDIT_UNAVAILABLE'), durability).toBe(true);
        expect(ran, `${durability}: the tool ran without its task's start record`).toEqual([]);
        expect(inner.ofKind('decision').length, durability).toBe(1); // the later record was taken
        // a task with no call does not return its result either
        const returned = await writ
          .task({ agent: 'orders-mcp' }, async () => 'result')
          .catch((e: unknown) => e);
        expect(WritError.isInstance(returned, 'WRIT_AUDIT_UNAVAILABLE'), durability).toBe(true);
        await writ.close();
      }
    },
  );
});

// Logs an attacker works on (issue 18 items 4, 5, 9, 15): a log sealed along the way, with copies of the
// checkpoints it published; the same log cut back to an earlier seal; a log rewritten and re-signed with
// the attacker's own key; a record changed in place. Every log is written by the real pipeline and file
// sink; the attacker only touches files, as someone with access to the log's storage (not its key) would.
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink, createNoteSigner, generateNoteKeys, leafHash } from '@writ/audit';
import { createWrit } from '@writ/core';
import type { AuditSink } from '@writ/core/plugin';
import { createInMemoryApprovals, createInMemoryIdentity, createInMemoryPolicy } from '@writ/core/testing';
import { z } from 'zod';
import { BIN, type CliResult } from '../../../packages/cli/src/__support__/cli.js';

export interface SealedLog {
  readonly logDir: string;
  readonly verifierKey: string;
  /** A copy of the checkpoint the log published when it closed: what a verifier keeps elsewhere. */
  readonly anchor: string;
  /** A copy of the checkpoint the log published at an earlier seal, and the records it covers. */
  readonly early: { readonly note: string; readonly size: number };
  /** Records in the closed log. */
  readonly size: number;
}

/**
 * Alice's invoice clerk on the real pipeline writing to `audit`: `payAll(from, to)` pays invoices
 * `from`…`to - 1`, one task each (three records per invoice).
 */
export function invoiceClerk(audit: AuditSink) {
  const writ = createWrit({
    service: 'payments',
    audit,
    identity: createInMemoryIdentity({ requesters: { 'tok-alice': { id: 'alice@example.com' } } }),
    policy: createInMemoryPolicy({ rules: [{ id: 'invoices', effect: 'allow', tool: 'pay_invoice' }] }),
  });
  const pay = writ.tool({
    name: 'pay_invoice',
    input: z.object({ id: z.string() }),
    execute: async ({ id }) => `paid ${id}`,
  });
  const payAll = async (from: number, to: number) => {
    for (let n = from; n < to; n++) {
      await writ.task({ requester: 'tok-alice', agent: 'clerk', intent: `Pay invoice ${n}` }, () =>
        pay.execute({ id: `inv-${n}` }),
      );
    }
  };
  return { writ, payAll };
}

/** Alice's invoices, paid one task at a time: sealed by a checkpoint every 5 records and at an early point. */
export async function sealedLog(dir: string): Promise<SealedLog> {
  const logDir = join(dir, 'audit');
  const audit = await createFileAuditSink({ dir: logDir, keyDir: join(dir, 'keys'), checkpointEvery: 5 });
  const { writ, payAll } = invoiceClerk(audit);
  await payAll(0, 3);
  await audit.checkpoint();
  const early = { note: join(dir, 'early.checkpoint'), size: audit.size };
  await copyFile(join(logDir, 'checkpoint'), early.note);
  await payAll(3, 7);
  await writ.close();
  const anchor = join(dir, 'anchor.checkpoint');
  await copyFile(join(logDir, 'checkpoint'), anchor);
  return { logDir, verifierKey: audit.verifierKey, anchor, early, size: audit.size };
}

/** The log's lines, in order (one segment: these logs are small). */
async function segment(logDir: string): Promise<{ file: string; lines: string[] }> {
  const name = (await readdir(logDir)).filter((n) => n.endsWith('.jsonl')).sort()[0] as string;
  const file = join(logDir, name);
  const lines = (await readFile(file, 'utf8')).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { file, lines };
}

/** A copy of the log cut back to its first `size` records (its published checkpoint left as it was). */
export async function cutCopy(logDir: string, to: string, size: number): Promise<void> {
  await cp(logDir, to, { recursive: true });
  const { file, lines } = await segment(to);
  await writeFile(file, `${lines.slice(0, size).join('\n')}\n`);
}

/**
 * A copy of the log in which `edit` changed the first record `find` picks; resolves to that record's
 * index. The hash chain and the checkpoints are left as they were: the attacker has no key.
 */
export async function alteredCopy(
  logDir: string,
  to: string,
  find: (line: string) => boolean,
  edit: (line: string) => string,
): Promise<number> {
  await cp(logDir, to, { recursive: true });
  const { file, lines } = await segment(to);
  const index = lines.findIndex(find);
  if (index === -1) throw new Error('no record matches');
  const changed = edit(lines[index] as string);
  if (changed === lines[index]) throw new Error('the edit changed nothing');
  lines[index] = changed;
  await writeFile(file, `${lines.join('\n')}\n`);
  return index;
}

/**
 * A log the attacker wrote from scratch under `origin` and signed with a key of their own, `log.json`
 * naming that key: a refund of 90,000 "approved by alice@example.com", who approved nothing. Every
 * check that takes its key from the log passes.
 */
export async function resignedLog(origin: string, to: string): Promise<void> {
  const { signerKey, verifierKey } = generateNoteKeys(origin);
  await mkdir(to, { recursive: true, mode: 0o700 });
  await writeFile(
    join(to, 'log.json'),
    `${JSON.stringify({ v: 1, origin, verifierKey, created: new Date().toISOString() }, null, 2)}\n`,
    { mode: 0o600 },
  );
  const audit = await createFileAuditSink({ dir: to, signer: createNoteSigner(signerKey) });
  const writ = createWrit({
    service: 'payments',
    audit,
    identity: createInMemoryIdentity({ requesters: { 'tok-mallory': { id: 'mallory@example.com' } } }),
    approvals: createInMemoryApprovals({
      approver: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
    }),
    policy: createInMemoryPolicy({ rules: [{ id: 'refunds', effect: 'approval_required' }] }),
  });
  const refund = writ.tool({
    name: 'refund_order',
    input: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async () => 'refunded',
  });
  await writ.task({ requester: 'tok-mallory', agent: 'support' }, () =>
    refund.execute({ orderId: '42', amount: 90_000 }),
  );
  await writ.close();
}

/**
 * A copy of the log with one record appended after its last checkpoint: a copy of record `template` made
 * to say `edit`, given the next index and chained to the last record (no key needed); resolves to its
 * index.
 */
export async function appendedCopy(
  logDir: string,
  to: string,
  template: number,
  edit: (record: Record<string, unknown>) => void,
): Promise<number> {
  await cp(logDir, to, { recursive: true });
  const { file, lines } = await segment(to);
  const last = lines.at(-1) as string;
  const record = (JSON.parse(lines[template] as string) as { r: Record<string, unknown> }).r;
  edit(record);
  const index = lines.length;
  const line = JSON.stringify({ i: index, p: leafHash(Buffer.from(last)).toString('hex'), r: record });
  await writeFile(file, `${lines.join('\n')}\n${line}\n`);
  return index;
}

/** The origin a log's `log.json` names. */
export async function originOf(logDir: string): Promise<string> {
  return (JSON.parse(await readFile(join(logDir, 'log.json'), 'utf8')) as { origin: string }).origin;
}

/**
 * Runs the built `writ` with its address space capped (`ulimit -v`), so a reader that allocates without
 * bound fails fast instead of taking the machine's memory, and killed after `timeoutMs`. `code` is null
 * when it was killed or crashed.
 */
export function runCliBounded(
  args: readonly string[],
  options: { timeoutMs?: number; memoryKiB?: number } = {},
): Promise<Omit<CliResult, 'code'> & { code: number | null }> {
  const quoted = [BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const script = `ulimit -v ${options.memoryKiB ?? 4_000_000}; exec '${process.execPath}' ${quoted}`;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

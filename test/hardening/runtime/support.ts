// Shared helpers of the runtime hardening suite (issue 9 items 4–7): crash child control, audit log
// read-back, and byte scanning for leaks.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLines, verifyLog } from '@writ/audit';
import { listSegments } from '@writ/audit/internal';
import { resolveSharedContexts } from '@writ/core/plugin';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** A stored record as the log holds it (`r` of the envelope). */
// biome-ignore lint/suspicious/noExplicitAny: records are read back as plain JSON and probed field by field
export type StoredRecord = Record<string, any>;

/**
 * Every record of a file log, in index order, as an investigator reads it: a decision record's evaluated
 * context resolved from the record of its task that holds the shared part (any that does not resolve
 * throws: the log lost what a decision was judged on).
 */
export async function readRecords(auditDir: string): Promise<StoredRecord[]> {
  const stored: { index: number; record: StoredRecord }[] = [];
  for await (const line of readLines(auditDir)) {
    stored.push({ index: stored.length, record: JSON.parse(line.bytes.toString('utf8')).r as StoredRecord });
  }
  const { records, findings } = resolveSharedContexts(stored);
  if (findings.length > 0) throw new Error(`record ${findings[0]?.index}: ${findings[0]?.message}`);
  return records.map((r) => r.record);
}

/** `verifyLog(dir, { verifierKey, deep: true })`, returning the result for assertions. */
export function verifyDeep(auditDir: string, verifierKey: string | undefined) {
  return verifyLog(auditDir, { verifierKey, deep: true });
}

/** Every byte of every file under `dir` (recursively), as one buffer per file. */
export async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  const walk = async (at: string) => {
    for (const name of await readdir(at)) {
      const path = join(at, name);
      if ((await stat(path)).isDirectory()) await walk(path);
      else out.push({ path, bytes: await readFile(path) });
    }
  };
  await walk(dir);
  return out;
}

/**
 * Where any of `secrets` occurs in `haystacks` (plain, base64, base64url and JSON-escaped forms are all
 * searched). Returns `<label>: <secret prefix>` for each hit.
 */
export function findSecrets(
  haystacks: readonly { label: string; bytes: Buffer | string }[],
  secrets: readonly string[],
): string[] {
  const forms = secrets.flatMap((s) => {
    const variants = new Set([
      s,
      JSON.stringify(s).slice(1, -1),
      Buffer.from(s).toString('base64'),
      Buffer.from(s).toString('base64url'),
    ]);
    return [...variants].filter((v) => v.length >= 8).map((v) => ({ secret: s, form: v }));
  });
  const hits: string[] = [];
  for (const { label, bytes } of haystacks) {
    const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
    const utf8 = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
    for (const { secret, form } of forms) {
      if (text.includes(form) || utf8.includes(form)) hits.push(`${label}: ${secret.slice(0, 12)}…`);
    }
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------------
// crash child (item 4)

export const CRASH_CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));

/** What one SIGKILL run observed. */
export interface KillRun {
  /** Milliseconds between the reference moment and the kill. */
  readonly delayMs: number;
  /** `ready` (components up, load just started) or `flowing` (first tool already ran). */
  readonly from: 'ready' | 'flowing';
  readonly signal: NodeJS.Signals | null;
}

/**
 * Starts the crash child on `dir` / `side`, waits for `from`, then `delayMs` more, and SIGKILLs it.
 */
export async function runAndKill(
  dir: string,
  side: string,
  from: 'ready' | 'flowing',
  delayMs: number,
): Promise<KillRun> {
  const child: ChildProcess = spawn(process.execPath, [CRASH_CHILD, dir, side], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(from)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`crash child exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  return { delayMs, from, signal: await exited };
}

/**
 * Simulates a write cut short: appends the first half of the log's last record, without a newline, to
 * its last segment (what a crash in the middle of writing a new record leaves). Returns the bytes added.
 */
export async function tearTail(auditDir: string): Promise<number> {
  const last = (await listSegments(auditDir)).at(-1);
  let lastLine: Buffer | undefined;
  for await (const line of readLines(auditDir)) if (line.complete) lastLine = line.bytes;
  if (last === undefined || lastLine === undefined) return 0;
  const torn = lastLine.subarray(0, Math.floor(lastLine.length / 2));
  await appendFile(last.path, torn);
  return torn.length;
}

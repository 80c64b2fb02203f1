import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { type NoteVerifier, openCheckpoint, parseVerifierKey } from './checkpoint/index.js';
import { createLeafHasher } from './leaf-hasher.js';
import {
  chunkLines,
  type LineChunk,
  listSegments,
  readChunks,
  readLines,
  type StoredLine,
} from './log-reader.js';
import { createFrontier, leafHash } from './merkle/index.js';
import { logRecordSchema } from './record.js';

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /**
   * The C2SP verifier key to check checkpoints with, obtained independently of the log (pinned).
   * @default the key recorded in the log's log.json (reported as not pinned)
   */
  verifierKey?: string;
  /** A checkpoint note obtained independently (a witness's copy): the log must contain its tree. */
  checkpoint?: string;
  /** Also validate every record against the record schema. @default false */
  deep?: boolean;
  /** Called every 10,000 records with the count so far. */
  onProgress?: (records: number) => void;
  /**
   * Hash records on a worker thread (file logs only).
   * @default true for logs of 16 MiB or more
   */
  threads?: boolean;
}

/** The verdict on a log. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly origin: string;
  readonly records: number;
  readonly checkpoints: number;
  /** Records covered by the last verified checkpoint in the log. */
  readonly sealed: number;
  /** Base64 root over all records read. */
  readonly root: string;
  /** Whether the verifier key came from outside the log. */
  readonly keyPinned: boolean;
  /** The first record that is not as it was written (or where the log ends too early). */
  readonly firstBadIndex?: number;
  readonly reason?: string;
  readonly warnings: readonly string[];
}

const CHECKPOINT_MARK = Buffer.from('"kind":"checkpoint"');
/** Canonical JSON sorts keys, so a checkpoint record's first key follows the envelope prefix directly. */
function isCheckpointLine(bytes: Buffer): boolean {
  const start =
    bytes.indexOf(0x7b, bytes.indexOf(0x22, bytes.indexOf(0x2c, bytes.indexOf(0x2c) + 1) + 1)) + 1;
  return (
    start > 0 &&
    start + CHECKPOINT_MARK.length <= bytes.length &&
    bytes.compare(CHECKPOINT_MARK, 0, CHECKPOINT_MARK.length, start, start + CHECKPOINT_MARK.length) === 0
  );
}
const HEAD = Buffer.from('{"i":');
const P_FIELD = Buffer.from(',"p":"');
const R_FIELD = Buffer.from('","r":{');

/**
 * The envelope prefix `{"i":<index>,"p":"<64 hex or empty>","r":{` read straight from the bytes (the
 * canonical encoding fixes it), or `undefined` when the line is not shaped like a record.
 */
function peek(bytes: Buffer): { i: number; p: string } | undefined {
  const n = bytes.length;
  if (n < 20 || bytes[n - 1] !== 0x7d || bytes[n - 2] !== 0x7d) return undefined;
  if (bytes.compare(HEAD, 0, HEAD.length, 0, HEAD.length) !== 0) return undefined;
  let at = HEAD.length;
  let i = 0;
  const first = at;
  while (at < n && at - first < 16) {
    const c = bytes[at] as number;
    if (c < 0x30 || c > 0x39) break;
    i = i * 10 + (c - 0x30);
    at++;
  }
  const digits = at - first;
  if (digits === 0 || (digits > 1 && bytes[first] === 0x30)) return undefined;
  if (bytes.compare(P_FIELD, 0, P_FIELD.length, at, at + P_FIELD.length) !== 0) return undefined;
  at += P_FIELD.length;
  let hexEnd = at;
  while (hexEnd < n && hexEnd - at <= 64) {
    const c = bytes[hexEnd] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) break;
    hexEnd++;
  }
  const hexLength = hexEnd - at;
  if (hexLength !== 0 && hexLength !== 64) return undefined;
  if (bytes.compare(R_FIELD, 0, R_FIELD.length, hexEnd, hexEnd + R_FIELD.length) !== 0) return undefined;
  return { i, p: hexLength === 0 ? '' : bytes.toString('latin1', at, hexEnd) };
}

/**
 * Verifies a log directory offline, with only a public key: recomputes the RFC 6962 tree from the stored
 * bytes (never re-encoding), follows the hash chain, checks every checkpoint's signature, origin, size and
 * root, and compares the log with its published checkpoint (and an independent one, when given). Stops at
 * the first record that is not as written and names it. Large logs hash their records on a worker
 * thread while the tree is built on the calling thread.
 *
 * @example
 * ```ts
 * const result = await verifyLog('.writ/audit', { verifierKey });
 * if (!result.ok) console.error(`record ${result.firstBadIndex}: ${result.reason}`);
 * ```
 */
export async function verifyLog(dir: string, options: VerifyLogOptions = {}): Promise<VerifyResult> {
  const meta = JSON.parse(
    await readFile(join(dir, 'log.json'), 'utf8').catch((cause: unknown) => {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} holds no Writ log (log.json missing)`, { cause });
    }),
  ) as { origin: string; verifierKey: string };
  const published = await readFile(join(dir, 'checkpoint'), 'utf8').catch(() => undefined);
  const lineOptions: VerifyLinesOptions = {
    origin: meta.origin,
    recordedVerifierKey: meta.verifierKey,
    publishedCheckpoint: published,
    ...options,
  };
  const threads = options.threads ?? (await logSize(dir)) >= PARALLEL_FROM_BYTES;
  if (!threads) return verifyLines(readLines(dir), lineOptions);
  const verifier = createLineVerifier(lineOptions);
  const early = verifier.start();
  if (early !== undefined) return early;
  const hasher = createLeafHasher();
  try {
    const pending: { chunk: LineChunk; hashes: Promise<Buffer> }[] = [];
    const drain = async (keep: number): Promise<VerifyResult | undefined> => {
      while (pending.length > keep) {
        const { chunk, hashes } = pending.shift() as (typeof pending)[number];
        const leaves = await hashes;
        let k = 0;
        for (const line of chunkLines(chunk)) {
          const verdict = verifier.push(
            line,
            line.complete ? leaves.subarray(k * 32, k * 32 + 32) : undefined,
          );
          k++;
          if (verdict !== undefined) return verdict;
        }
      }
      return undefined;
    };
    for await (const chunk of readChunks(dir)) {
      pending.push({ chunk, hashes: hasher.hash(chunk) });
      const verdict = await drain(IN_FLIGHT);
      if (verdict !== undefined) return verdict;
    }
    return (await drain(0)) ?? verifier.finish();
  } finally {
    await hasher.close();
  }
}

/** Logs at least this large are verified with a hashing worker thread. */
const PARALLEL_FROM_BYTES = 16 << 20;
/** Chunks (~1 MiB each) hashed ahead of the tree. */
const IN_FLIGHT = 3;

async function logSize(dir: string): Promise<number> {
  let bytes = 0;
  for (const segment of await listSegments(dir)) bytes += (await stat(segment.path)).size;
  return bytes;
}

/** Options of {@link verifyLines}: the log's identity plus {@link VerifyLogOptions}. */
export interface VerifyLinesOptions extends VerifyLogOptions {
  /** The log's origin. */
  origin: string;
  /** The verifier key the log says it is signed with (used when no `verifierKey` is pinned). */
  recordedVerifierKey: string;
  /** The log's own latest checkpoint note, when it publishes one. */
  publishedCheckpoint?: string | undefined;
}

/**
 * The checks of {@link verifyLog} over any source of stored lines in index order (a file log's segments,
 * PostgreSQL rows, …).
 *
 * @example
 * ```ts
 * const result = await verifyLines(rowsAsLines(), { origin, recordedVerifierKey, verifierKey: pinned });
 * ```
 */
export async function verifyLines(
  source: AsyncIterable<StoredLine>,
  options: VerifyLinesOptions,
): Promise<VerifyResult> {
  const verifier = createLineVerifier(options);
  const early = verifier.start();
  if (early !== undefined) return early;
  for await (const line of source) {
    const verdict = verifier.push(line, line.complete ? leafHash(line.bytes) : undefined);
    if (verdict !== undefined) return verdict;
  }
  return verifier.finish();
}

/** Incremental verification: lines pushed in index order with their leaf hashes. */
interface LineVerifier {
  /** Checks the published / given checkpoints; a verdict when they are unusable. */
  start(): VerifyResult | undefined;
  /** A verdict when the log is bad at or before this line; `undefined` to go on. */
  push(line: StoredLine, hash: Buffer | undefined): VerifyResult | undefined;
  /** The verdict once every line was pushed. */
  finish(): VerifyResult;
}

function createLineVerifier(options: VerifyLinesOptions): LineVerifier {
  const meta = { origin: options.origin };
  const keyPinned = options.verifierKey !== undefined;
  const verifier: NoteVerifier = parseVerifierKey(options.verifierKey ?? options.recordedVerifierKey);
  const warnings: string[] = [];
  if (!keyPinned)
    warnings.push('the verifier key was read from the log itself; pass a key obtained independently');

  const frontier = createFrontier();
  let index = 0;
  let previous = '';
  let checkpoints = 0;
  let sealed = 0;
  // published checkpoints the log must contain
  const targets: { label: string; size: number; root: string }[] = [];
  /** A record whose `p` broke the chain: the next line tells whether it or its predecessor changed. */
  let suspect: { line: StoredLine; hash: Buffer } | undefined;
  /** Bytes of the last accepted record (to tell a lost line break from a deleted record). */
  let lastBytes: Buffer | undefined;

  function fail(at: number, reason: string): VerifyResult {
    return {
      ok: false,
      origin: meta.origin,
      records: index,
      checkpoints,
      sealed,
      root: frontier.root().toString('base64'),
      keyPinned,
      firstBadIndex: at,
      reason,
      warnings,
    };
  }

  function judgeSuspect(next: StoredLine | undefined): VerifyResult {
    const { line, hash } = suspect as NonNullable<typeof suspect>;
    const after = next === undefined || !next.complete ? undefined : peek(next.bytes);
    const thisChanged = after !== undefined && after.p !== hash.toString('hex');
    if (thisChanged || index === 0) return fail(index, `record ${index} was altered`);
    if (after === undefined && isCheckpointLine(line.bytes)) {
      // the last record is a checkpoint: its signed root tells whether the record before it is intact
      const verdict = checkCheckpoint(line.bytes, index);
      if (verdict === undefined) return fail(index, `record ${index} was altered`);
    }
    return fail(index - 1, `record ${index - 1} was altered (its hash no longer matches the chain)`);
  }

  return {
    start() {
      for (const [label, text] of [
        ['published checkpoint', options.publishedCheckpoint],
        ['given checkpoint', options.checkpoint],
      ] as const) {
        if (text === undefined) continue;
        try {
          const cp = openCheckpoint(text, [verifier]);
          if (cp.origin !== meta.origin) return fail(0, `the ${label} is for another log (${cp.origin})`);
          targets.push({ label, size: cp.size, root: cp.rootHash.toString('base64') });
        } catch (error) {
          return fail(0, `the ${label} does not verify: ${(error as Error).message}`);
        }
      }
      return undefined;
    },
    push(line, hash) {
      if (suspect !== undefined) return judgeSuspect(line);
      for (const t of targets) {
        if (t.size === index && frontier.root().toString('base64') !== t.root) {
          return fail(Math.max(0, index - 1), `records before ${index} differ from the ${t.label}`);
        }
      }
      if (!line.complete || hash === undefined)
        return fail(
          index,
          'the last record is cut short (torn write); the writer repairs it when it reopens the log',
        );
      const envelope = peek(line.bytes);
      if (envelope === undefined) return fail(index, 'not a Writ log record (malformed line)');
      const seqOk = envelope.i === index;
      const prevOk = envelope.p === previous;
      if (!seqOk && !prevOk) {
        // the previous record runs into the one that should follow it: its line break was altered
        if (envelope.i > index && lastBytes?.includes(`{"i":${index},"p":"`, 1) === true) {
          return fail(index - 1, `record ${index - 1} was altered (the line break after it is gone)`);
        }
        return envelope.i > index
          ? fail(index, `record ${index} is missing (found record ${envelope.i} in its place)`)
          : fail(Math.max(0, index - 1), `a record was inserted before ${index}`);
      }
      if (!seqOk) return fail(index, `record ${index} carries index ${envelope.i}`);
      if (!prevOk) {
        suspect = { line, hash };
        return undefined;
      }
      if (options.deep === true || isCheckpointLine(line.bytes)) {
        let parsed: { r?: unknown };
        try {
          parsed = JSON.parse(line.bytes.toString('utf8')) as { r?: unknown };
        } catch {
          return fail(index, 'record is not valid JSON');
        }
        const record = parsed.r as { kind?: unknown } | undefined;
        if (options.deep === true) {
          const checked = logRecordSchema.safeParse(record);
          if (!checked.success)
            return fail(
              index,
              `record does not match the schema: ${checked.error.issues[0]?.message ?? 'invalid'}`,
            );
        }
        if (record?.kind === 'checkpoint') {
          const problem = checkCheckpoint(line.bytes, index);
          if (problem !== undefined) return fail(index, problem);
          checkpoints++;
          sealed = index;
        }
      }
      frontier.append(hash);
      previous = hash.toString('hex');
      lastBytes = line.bytes;
      index++;
      if (index % 10_000 === 0) options.onProgress?.(index);
      return undefined;
    },
    finish() {
      if (suspect !== undefined) return judgeSuspect(undefined);
      for (const t of targets) {
        if (t.size > index)
          return fail(
            index,
            `the log ends at ${index} records but the ${t.label} covers ${t.size}: records were removed`,
          );
        if (t.size === index && frontier.root().toString('base64') !== t.root) {
          return fail(Math.max(0, index - 1), `records differ from the ${t.label}`);
        }
      }
      if (index > sealed + 1)
        warnings.push(`${index - sealed - 1} record(s) after the last checkpoint are not sealed yet`);
      return {
        ok: true,
        origin: meta.origin,
        records: index,
        checkpoints,
        sealed,
        root: frontier.root().toString('base64'),
        keyPinned,
        warnings,
      };
    },
  };

  /** Why a checkpoint record at `at` is bad, or undefined when it verifies against the tree so far. */
  function checkCheckpoint(bytes: Buffer, at: number): string | undefined {
    let record: { note?: unknown };
    try {
      record = (JSON.parse(bytes.toString('utf8')) as { r: typeof record }).r;
    } catch {
      return 'checkpoint record is not valid JSON';
    }
    if (typeof record.note !== 'string') return 'checkpoint record has no note';
    let cp: ReturnType<typeof openCheckpoint>;
    try {
      cp = openCheckpoint(record.note, [verifier]);
    } catch (error) {
      return `checkpoint signature does not verify: ${(error as Error).message}`;
    }
    if (cp.origin !== meta.origin) return 'checkpoint is for another log';
    if (cp.size !== at) return `checkpoint claims ${cp.size} records but stands at ${at}`;
    const root = frontier.root().toString('base64');
    if (cp.rootHash.toString('base64') !== root) {
      return `checkpoint root differs from the records before it: a record before ${at} was altered`;
    }
    return undefined;
  }
}

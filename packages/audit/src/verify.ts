import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { type NoteVerifier, openCheckpoint, parseVerifierKey } from './checkpoint/index.js';
import { createLeafHasher, type HashedChunk } from './leaf-hasher.js';
import { type LineChunk, listSegments, readChunks, readLines, type StoredLine } from './log-reader.js';
import { leafHash } from './merkle/index.js';
import { createPackedFrontier } from './merkle/packed-frontier.js';
import { logRecordSchema } from './record.js';

/**
 * Options of {@link verifyLog}.
 *
 * @example
 * ```ts
 * const options: VerifyLogOptions = {
 *   verifierKey: process.env.WRIT_VERIFIER_KEY, // from your key registry, not from the log
 *   checkpoint: witnessedNote, // a checkpoint a witness kept: the log must still contain its tree
 *   deep: true,
 *   onProgress: (n) => console.error(`${n} records`),
 * };
 * const result = await verifyLog('.writ/audit', options);
 * ```
 */
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

/**
 * The verdict on a log.
 *
 * @example
 * ```ts
 * const result: VerifyResult = await verifyLog('.writ/audit', { verifierKey });
 * if (!result.ok) throw new Error(`record ${result.firstBadIndex}: ${result.reason}`);
 * console.log(`${result.records} records, ${result.sealed} sealed by ${result.checkpoints} checkpoints`);
 * for (const warning of result.warnings) console.warn(warning);
 * ```
 */
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

const HEAD = Buffer.from('{"i":');
const P_FIELD = Buffer.from(',"p":"');
const R_FIELD = Buffer.from('","r":{');
/** Canonical JSON sorts keys, so a checkpoint record's first key follows the envelope prefix directly. */
const CHECKPOINT_MARK = Buffer.from('"kind":"checkpoint"');

/** A record's envelope as {@link peek} reads it. @internal */
export interface Peeked {
  /** The index the record carries. */
  readonly i: number;
  /** Offset of the 64 hex digits of `p` in the line, or -1 when `p` is empty. */
  readonly p: number;
  /** Whether the record's first key is `"kind":"checkpoint"`. */
  readonly checkpoint: boolean;
}

/**
 * The envelope prefix `{"i":<index>,"p":"<64 hex or empty>","r":{` read straight from the bytes (the
 * canonical encoding fixes it), or `undefined` when the line is not shaped like a record.
 * @internal
 */
export function peek(bytes: Buffer): Peeked | undefined {
  const n = bytes.length;
  if (n < 20 || bytes[n - 1] !== 0x7d || bytes[n - 2] !== 0x7d) return undefined;
  if (!bytesAt(bytes, 0, HEAD)) return undefined;
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
  if (!bytesAt(bytes, at, P_FIELD)) return undefined;
  at += P_FIELD.length;
  let hexEnd = at;
  while (hexEnd < n && hexEnd - at <= 64) {
    const c = bytes[hexEnd] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) break;
    hexEnd++;
  }
  const hexLength = hexEnd - at;
  if (hexLength !== 0 && hexLength !== 64) return undefined;
  if (!bytesAt(bytes, hexEnd, R_FIELD)) return undefined;
  return {
    i,
    p: hexLength === 0 ? -1 : at,
    checkpoint: bytesAt(bytes, hexEnd + R_FIELD.length, CHECKPOINT_MARK),
  };
}

/** Whether `bytes` holds `expected` at `at`. */
function bytesAt(bytes: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > bytes.length) return false;
  for (let j = 0; j < expected.length; j++) if (bytes[at + j] !== expected[j]) return false;
  return true;
}

/**
 * Whether a peeked envelope's `p` names the leaf hash at `at` in `hashes` (the record before it), or is
 * empty when there is no record before it. `p` is lowercase hex (as {@link peek} admits), compared digit
 * by digit without making strings.
 * @internal
 */
export function follows(
  bytes: Buffer,
  envelope: Peeked,
  hashes: Uint8Array | undefined,
  at: number,
): boolean {
  if (hashes === undefined || envelope.p === -1) return hashes === undefined && envelope.p === -1;
  for (let j = 0, c = envelope.p; j < 32; j++, c += 2) {
    if (((hexValue(bytes[c] as number) << 4) | hexValue(bytes[c + 1] as number)) !== hashes[at + j])
      return false;
  }
  return true;
}

/** The value of a lowercase hex digit. */
function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

/**
 * Verifies a log directory offline, with only a public key: recomputes the RFC 6962 tree from the stored
 * bytes (never re-encoding), follows the hash chain, checks every checkpoint's signature, origin, size and
 * root, and compares the log with its published checkpoint (and an independent one, when given). Stops at
 * the first record that is not as written and names it. Large logs hash their records on a worker
 * thread, which also vouches for well-formed chained envelopes, while the tree is built on the calling
 * thread.
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
    const pending: Promise<HashedChunk>[] = [];
    const spare: ArrayBuffer[] = [];
    // once a chunk is pushed, the verifier may still read its last record and the one before (a lost line
    // break, a suspect link): those lie in it or in the chunk before, so older chunks' buffers are reused
    const pushed: LineChunk[] = [];
    const drain = async (keep: number): Promise<VerifyResult | undefined> => {
      while (pending.length > keep) {
        const hashed = await (pending.shift() as Promise<HashedChunk>);
        const verdict = verifier.pushChunk(hashed);
        if (verdict !== undefined) return verdict;
        pushed.push(hashed.chunk);
        const free = pushed.length > 2 ? pushed.shift() : undefined;
        if (free !== undefined && free.torn === undefined) spare.push(free.data.buffer as ArrayBuffer);
      }
      return undefined;
    };
    for await (const chunk of readChunks(dir, spare)) {
      const hashed = hasher.hash(chunk);
      // a worker failure surfaces where the chunk is awaited, not as an unhandled rejection before
      hashed.catch(() => undefined);
      pending.push(hashed);
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

/**
 * Options of {@link verifyLines}: the log's identity plus {@link VerifyLogOptions}.
 *
 * @example
 * ```ts
 * const options: VerifyLinesOptions = {
 *   origin: 'writ.local/audit/support-desk',
 *   recordedVerifierKey: storedKey, // what the log says it is signed with
 *   verifierKey: pinnedKey, // what you trust
 *   publishedCheckpoint: latestNote,
 * };
 * const result = await verifyLines(storedLines, options);
 * ```
 */
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
  /**
   * A verdict when the log is bad at or before this line; `undefined` to go on. The line's leaf hash is
   * the 32 bytes at `at` in `hashes` (absent for a torn line); they must stay unchanged.
   */
  push(line: StoredLine, hashes: Uint8Array | undefined, at?: number): VerifyResult | undefined;
  /**
   * Pushes a hashed chunk's lines as {@link LineVerifier.push} does, except that a line whose envelope the
   * worker vouched for is accepted without reading its bytes again when nothing else is due at it.
   */
  pushChunk(hashed: HashedChunk): VerifyResult | undefined;
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

  const frontier = createPackedFrontier();
  let index = 0;
  /** The leaf hash of the last accepted record, at `previousAt`. */
  let previous: Uint8Array | undefined;
  let previousAt = 0;
  let checkpoints = 0;
  let sealed = 0;
  // published checkpoints the log must contain
  const targets: { label: string; size: number; root: string }[] = [];
  /** A record whose `p` broke the chain: the next line tells whether it or its predecessor changed. */
  let suspect: { line: StoredLine; envelope: Peeked; hashes: Uint8Array; at: number } | undefined;
  /** The last accepted record, `lastData[lastStart, lastEnd)`: tells a lost line break from a deletion. */
  let lastData: Buffer | undefined;
  let lastStart = 0;
  let lastEnd = 0;

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
    const { line, envelope, hashes, at } = suspect as NonNullable<typeof suspect>;
    const after = next === undefined || !next.complete ? undefined : peek(next.bytes);
    const thisChanged = after !== undefined && next !== undefined && !follows(next.bytes, after, hashes, at);
    if (thisChanged || index === 0) return fail(index, `record ${index} was altered`);
    if (after === undefined && envelope.checkpoint) {
      // the last record is a checkpoint: its signed root tells whether the record before it is intact
      const verdict = checkCheckpoint(line.bytes, index);
      if (verdict === undefined) return fail(index, `record ${index} was altered`);
    }
    return fail(index - 1, `record ${index - 1} was altered (its hash no longer matches the chain)`);
  }

  /** Whether a published or given checkpoint covers exactly the first `size` records. */
  function targetAt(size: number): boolean {
    for (const t of targets) if (t.size === size) return true;
    return false;
  }

  /** Appends the record in `data[start, end)` whose leaf hash is at `at` in `hashes`. */
  function accept(hashes: Uint8Array, at: number, data: Buffer, start: number, end: number): void {
    frontier.append(hashes, at);
    previous = hashes;
    previousAt = at;
    lastData = data;
    lastStart = start;
    lastEnd = end;
    index++;
    if (index % 10_000 === 0) options.onProgress?.(index);
  }

  function push(line: StoredLine, hashes: Uint8Array | undefined, at = 0): VerifyResult | undefined {
    if (suspect !== undefined) return judgeSuspect(line);
    for (const t of targets) {
      if (t.size === index && frontier.root().toString('base64') !== t.root) {
        return fail(Math.max(0, index - 1), `records before ${index} differ from the ${t.label}`);
      }
    }
    if (!line.complete || hashes === undefined)
      return fail(
        index,
        'the last record is cut short (torn write); the writer repairs it when it reopens the log',
      );
    const envelope = peek(line.bytes);
    if (envelope === undefined) return fail(index, 'not a Writ log record (malformed line)');
    const seqOk = envelope.i === index;
    const prevOk = follows(line.bytes, envelope, previous, previousAt);
    if (!seqOk && !prevOk) {
      // the previous record runs into the one that should follow it: its line break was altered
      const lastBytes = lastData?.subarray(lastStart, lastEnd);
      if (envelope.i > index && lastBytes?.includes(`{"i":${index},"p":"`, 1) === true) {
        return fail(index - 1, `record ${index - 1} was altered (the line break after it is gone)`);
      }
      return envelope.i > index
        ? fail(index, `record ${index} is missing (found record ${envelope.i} in its place)`)
        : fail(Math.max(0, index - 1), `a record was inserted before ${index}`);
    }
    if (!seqOk) return fail(index, `record ${index} carries index ${envelope.i}`);
    if (!prevOk) {
      suspect = { line, envelope, hashes, at };
      return undefined;
    }
    if (options.deep === true || envelope.checkpoint) {
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
    accept(hashes, at, line.bytes, 0, line.bytes.length);
    return undefined;
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
    push,
    pushChunk({ chunk, leaves, indexes }) {
      const { data, lines, segment, offset } = chunk;
      const deep = options.deep === true;
      for (let k = 0; k < indexes.length; k++) {
        const start = lines[2 * k] as number;
        const end = lines[2 * k + 1] as number;
        if (indexes[k] === index && suspect === undefined && !deep && !targetAt(index)) {
          accept(leaves, 32 * k, data, start, end);
          continue;
        }
        const line = { bytes: data.subarray(start, end), complete: true, segment, offset: offset + start };
        const verdict = push(line, leaves, 32 * k);
        if (verdict !== undefined) return verdict;
      }
      const { torn } = chunk;
      return torn === undefined
        ? undefined
        : push({ bytes: torn, complete: false, segment, offset }, undefined);
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

import type { FileHandle } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { readPublishedCheckpoint } from '../file/checkpoint-file.js';
import { readLogMeta } from '../file/log-meta.js';
import { createLeafHasher, type HashedChunk, type LeafHasher, type RangeJob } from '../leaf-hasher.js';
import { type LineChunk, listSegments, MAX_RECORD_BYTES, openSegment, readLines } from '../log-reader.js';
import { leafHash } from '../merkle/hashing.js';
import { createLineVerifier, type RootsAt } from './line-verifier.js';
import type { VerifyLinesOptions, VerifyLogOptions, VerifyResult } from './verify-options.js';

/**
 * Verifies a log directory offline, with only a public key: recomputes the RFC 6962 tree from the stored
 * bytes (never re-encoding), follows the hash chain, checks every checkpoint's signature, origin, size and
 * root, and compares the log with its published checkpoint (and an independent one, when given). Stops at
 * the first record that is not as written and names it. The verdict's `state` says what it proves:
 * `anchored` (pinned key, and the log holds the tree of the independent `checkpoint`), `unanchored`
 * (pinned key only), `unpinned` (the key was read from the log) or `failed`. Reads regular files only,
 * never through a link, and no line longer than `maxRecordBytes`. Large logs are read and hashed by
 * worker threads, one per core, each taking ~1 MiB byte ranges of the segments in turn, vouching for
 * the well-formed chained envelopes in its range and hashing the complete, aligned power-of-two subtrees
 * of the records it vouched for, while the calling thread appends those subtrees to the tree by their
 * roots and checks the rest (the first record of each range, checkpoints, anything not vouched for).
 *
 * @example
 * ```ts
 * const result = await verifyLog('.writ/audit', { verifierKey, checkpoint: keptNote });
 * if (!result.ok) console.error(`record ${result.firstBadIndex}: ${result.reason}`);
 * else if (result.state !== 'anchored') console.warn(`cannot rule out: ${result.unproven.join('; ')}`);
 * ```
 */
export async function verifyLog(dir: string, options: VerifyLogOptions = {}): Promise<VerifyResult> {
  return verifyLogWith(dir, options);
}

/**
 * How {@link verifyLogWith} runs: worker threads, range size, and the roots it records on the way
 * (`verifyFleet` checks each member's sealed sizes against them).
 *
 * @example
 * ```ts
 * const tuning: VerifyTuning = { workers: 2, rangeBytes: 64 << 10 }; // many range boundaries, for tests
 * ```
 * @internal
 */
export interface VerifyTuning {
  /** Worker threads reading and hashing (`threads` path). @default one per core, at most 4 */
  readonly workers?: number;
  /** Workers to use instead of starting some (several logs verified in turn share them); left running. */
  readonly hasher?: LeafHasher;
  /** Bytes per range. @default 1 MiB */
  readonly rangeBytes?: number;
  readonly rootsAt?: RootsAt;
}

/**
 * {@link verifyLog} with its {@link VerifyTuning}.
 *
 * @example
 * ```ts
 * const found = new Map<number, string>();
 * const verdict = await verifyLogWith(dir, { verifierKey, threads: true }, { rootsAt: { sizes: new Set([1000]), found } });
 * ```
 * @internal
 */
export async function verifyLogWith(
  dir: string,
  options: VerifyLogOptions,
  tuning: VerifyTuning = {},
): Promise<VerifyResult> {
  const meta = await readLogMeta(dir);
  const published = await readPublishedCheckpoint(dir);
  const lineOptions: VerifyLinesOptions = {
    origin: meta.origin,
    recordedVerifierKey: meta.verifierKey,
    publishedCheckpoint: published,
    ...options,
  };
  const verifier = createLineVerifier(lineOptions, tuning.rootsAt);
  const early = verifier.start();
  if (early !== undefined) return early;
  const threads = options.threads ?? (await logSize(dir)) >= PARALLEL_FROM_BYTES;
  if (!threads) {
    for await (const line of readLines(dir, { maxRecordBytes: options.maxRecordBytes })) {
      const verdict = verifier.push(line, line.complete ? leafHash(line.bytes) : undefined);
      if (verdict !== undefined) return verdict;
    }
    return verifier.finish();
  }
  const hasher = tuning.hasher ?? createLeafHasher(tuning.workers ?? defaultWorkers());
  const files: FileHandle[] = [];
  /** Ranges in hand, in order; with the segment's file when it is the segment's last range. */
  const pending: { hashed: Promise<HashedChunk>; last: FileHandle | undefined }[] = [];
  try {
    const spare: ArrayBuffer[] = [];
    // once a chunk is pushed, the verifier may still read its last record and the one before (a lost line
    // break, a suspect link): those lie in it or in the chunk before, so older chunks' buffers are reused
    const pushed: LineChunk[] = [];
    const drain = async (keep: number): Promise<VerifyResult | undefined> => {
      while (pending.length > keep) {
        const { hashed: next, last } = pending.shift() as (typeof pending)[number];
        const hashed = await next;
        const verdict = verifier.pushChunk(hashed);
        if (verdict !== undefined) return verdict;
        if (last !== undefined) {
          files.splice(files.indexOf(last), 1);
          await last.close();
        }
        pushed.push(hashed.chunk);
        const free = pushed.length > 2 ? pushed.shift() : undefined;
        if (free !== undefined && free.torn === undefined && free.data.length > 0)
          spare.push(free.data.buffer as ArrayBuffer);
      }
      return undefined;
    };
    const inFlight = 2 * hasher.workers;
    for await (const job of rangeJobs(dir, files, tuning.rangeBytes ?? RANGE_BYTES, options.maxRecordBytes)) {
      if ('problem' in job) pending.push({ hashed: Promise.resolve(job.problem), last: undefined });
      else {
        const hashed = hasher.hash(job, spare.pop());
        // a worker failure surfaces where the range is awaited, not as an unhandled rejection before
        hashed.catch(() => undefined);
        pending.push({ hashed, last: job.toEof ? job.file : undefined });
      }
      const verdict = await drain(inFlight);
      if (verdict !== undefined) return verdict;
    }
    return (await drain(0)) ?? verifier.finish();
  } finally {
    // workers left running may still be reading ranges given up on: their files stay open until then
    if (tuning.hasher === undefined) await hasher.close();
    else await Promise.allSettled(pending.map((p) => p.hashed));
    await Promise.all(files.map((file) => file.close()));
  }
}

/** Logs at least this large are verified with worker threads. */
const PARALLEL_FROM_BYTES = 16 << 20;
/** Bytes per range a worker reads. */
const RANGE_BYTES = 1 << 20;
/** Worker threads at most, by default: the calling thread must keep up with their leaf hashes. */
const MAX_WORKERS = 4;

/**
 * Worker threads reading and hashing, by default: one per core, at most 4.
 * @internal
 */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, availableParallelism());
}

/**
 * The ranges of every segment in order: each segment opened by the calling thread (a regular file, not
 * through a link: the workers read through its descriptor), cut into `rangeBytes` ranges of its size
 * now, the last range reading on to wherever the file ends. A segment refused ends the ranges with a
 * chunk that names the problem. The opened files are added to `files`, for the caller to close.
 */
async function* rangeJobs(
  dir: string,
  files: FileHandle[],
  rangeBytes: number,
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncGenerator<(RangeJob & { file: FileHandle }) | { problem: HashedChunk }> {
  for (const segment of await listSegments(dir)) {
    const opened = await openSegment(segment.path, segment.name);
    if (typeof opened === 'string') {
      const chunk = {
        segment: segment.path,
        data: Buffer.alloc(0),
        offset: 0,
        lines: new Int32Array(0),
        problem: opened,
      };
      const none = {
        leaves: Buffer.alloc(0),
        indexes: new Float64Array(0),
        trees: new Int32Array(0),
        roots: Buffer.alloc(0),
      };
      yield { problem: { chunk, ...none } };
      return;
    }
    files.push(opened);
    const { size } = await opened.stat();
    for (let start = 0; ; start += rangeBytes) {
      const end = start + rangeBytes;
      const toEof = end >= size;
      yield { segment: segment.path, fd: opened.fd, file: opened, start, end, toEof, maxRecordBytes };
      if (toEof) break;
    }
  }
}

async function logSize(dir: string): Promise<number> {
  let bytes = 0;
  for (const segment of await listSegments(dir)) bytes += (await stat(segment.path)).size;
  return bytes;
}

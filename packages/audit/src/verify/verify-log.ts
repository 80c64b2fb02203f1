import { stat } from 'node:fs/promises';
import { readPublishedCheckpoint } from '../file/checkpoint-file.js';
import { readLogMeta } from '../file/log-meta.js';
import { createLeafHasher, type HashedChunk } from '../leaf-hasher.js';
import { type LineChunk, listSegments, readChunks, readLines } from '../log-reader.js';
import { createLineVerifier } from './line-verifier.js';
import { verifyLines } from './verify-lines.js';
import type { VerifyLinesOptions, VerifyLogOptions, VerifyResult } from './verify-options.js';

/**
 * Verifies a log directory offline, with only a public key: recomputes the RFC 6962 tree from the stored
 * bytes (never re-encoding), follows the hash chain, checks every checkpoint's signature, origin, size and
 * root, and compares the log with its published checkpoint (and an independent one, when given). Stops at
 * the first record that is not as written and names it. The verdict's `state` says what it proves:
 * `anchored` (pinned key, and the log holds the tree of the independent `checkpoint`), `unanchored`
 * (pinned key only), `unpinned` (the key was read from the log) or `failed`. Reads regular files only,
 * never through a link, and no line longer than `maxRecordBytes`. Large logs hash their records on a
 * worker thread, which also vouches for well-formed chained envelopes, while the tree is built on the
 * calling thread.
 *
 * @example
 * ```ts
 * const result = await verifyLog('.writ/audit', { verifierKey, checkpoint: keptNote });
 * if (!result.ok) console.error(`record ${result.firstBadIndex}: ${result.reason}`);
 * else if (result.state !== 'anchored') console.warn(`cannot rule out: ${result.unproven.join('; ')}`);
 * ```
 */
export async function verifyLog(dir: string, options: VerifyLogOptions = {}): Promise<VerifyResult> {
  const meta = await readLogMeta(dir);
  const published = await readPublishedCheckpoint(dir);
  const lineOptions: VerifyLinesOptions = {
    origin: meta.origin,
    recordedVerifierKey: meta.verifierKey,
    publishedCheckpoint: published,
    ...options,
  };
  const threads = options.threads ?? (await logSize(dir)) >= PARALLEL_FROM_BYTES;
  if (!threads) return verifyLines(readLines(dir, { maxRecordBytes: options.maxRecordBytes }), lineOptions);
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
    for await (const chunk of readChunks(dir, spare, options.maxRecordBytes)) {
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

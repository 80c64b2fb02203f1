import { Worker } from 'node:worker_threads';
import { type LineChunk, lineTooLong } from './log-reader.js';

/** A chunk back from a worker with the leaf hashes of its lines and what it vouches for. @internal */
export interface HashedChunk {
  /** The lines the worker read (a view of a buffer of their own, moved from the worker). */
  readonly chunk: LineChunk;
  /** 32 bytes per complete line of the chunk, in order. */
  readonly leaves: Buffer;
  /**
   * Per complete line: the index its record carries when the worker vouches that its envelope is well
   * formed, not a checkpoint's, and chained to the line before it in the chunk (its `p` names that line's
   * leaf hash), all as envelope-prefix.ts's `peek` and `follows` would find; otherwise -1 (always for the first line).
   */
  readonly indexes: Float64Array;
  /**
   * The complete, aligned RFC 6962 subtrees of height ≥ 1 inside the chunk that hold only lines the
   * worker vouched for, each carrying the index after the one before it (so the first line, never
   * vouched, is in none; whoever accepts a subtree checks its first line's index): pairs `k, h` (the
   * subtree's first line and its height), in line order. A subtree of height `h` whose first record carries index `i` has `i % 2^h === 0` and
   * holds lines `k … k + 2^h − 1`.
   */
  readonly trees: Int32Array;
  /** 32 bytes per subtree of `trees`, in order: its RFC 6962 root (`MTH` of its leaves). */
  readonly roots: Buffer;
}

/**
 * A byte range of an open segment for a worker to read: the lines that start in `[start, end)` (to the
 * end of the file, wherever it is by then, when `toEof`), each read whole however far past `end` it runs.
 * @internal
 */
export interface RangeJob {
  readonly segment: string;
  /** A descriptor of the segment, opened (and checked) by the calling thread; worker threads share it. */
  readonly fd: number;
  readonly start: number;
  readonly end: number;
  readonly toEof: boolean;
  /** A line longer than this ends the range with a problem. */
  readonly maxRecordBytes: number;
}

/**
 * Reads byte ranges of a log's segments and computes the RFC 6962 leaf hashes of their lines on worker
 * threads, in parallel, leaving the calling thread the tree and the checks the workers do not vouch for.
 * @internal
 */
export interface LeafHasher {
  /** Worker threads. */
  readonly workers: number;
  /**
   * Reads and hashes the range. `spare`, a buffer nothing looks at any more, moves to the worker to be
   * read into (instead of a new one).
   */
  hash(job: RangeJob, spare?: ArrayBuffer): Promise<HashedChunk>;
  close(): Promise<void>;
}

// A worker reads its range with readSync into one buffer: byte 0 is spare and the file's bytes from
// start - 1 follow (the byte before `start` tells whether a line starts there). It hashes `0x00 ‖ line`
// for each line by writing the 0x00 prefix over the byte before the line instead of copying it, and
// puts that byte back. A digest as a latin1 string (one char per byte) costs far less than one as a
// Buffer, and is written straight into the range's leaf hashes. `vouch` accepts what envelope-prefix.ts's
// `peek` accepts, less checkpoints and an empty `p`, when `p` is the lowercase hex of the line before's
// leaf hash (decoded digit by digit against those bytes).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const crypto = require('node:crypto');
const sha256latin1 = typeof crypto.hash === 'function'
  ? (b) => crypto.hash('sha256', b, 'latin1')
  : (b) => crypto.createHash('sha256').update(b).digest('latin1');
// the value of a lowercase hex digit, -1 for any other byte
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) HEX['0123456789abcdef'.charCodeAt(c)] = c;
const HEAD = Buffer.from('{"i":');
const P_FIELD = Buffer.from(',"p":"');
const R_FIELD = Buffer.from('","r":{');
const CHECKPOINT_MARK = Buffer.from('"kind":"checkpoint"');
const SLACK = 64 << 10;
function bytesAt(data, at, end, expected) {
  if (at + expected.length > end) return false;
  for (let j = 0; j < expected.length; j++) if (data[at + j] !== expected[j]) return false;
  return true;
}
function vouch(data, start, end, leaves, previousAt) {
  if (end - start < 20 || data[end - 1] !== 0x7d || data[end - 2] !== 0x7d) return -1;
  if (!bytesAt(data, start, end, HEAD)) return -1;
  let at = start + HEAD.length;
  let i = 0;
  const first = at;
  while (at < end && at - first < 16) {
    const c = data[at];
    if (c < 0x30 || c > 0x39) break;
    i = i * 10 + (c - 0x30);
    at++;
  }
  const digits = at - first;
  if (digits === 0 || (digits > 1 && data[first] === 0x30)) return -1;
  if (!bytesAt(data, at, end, P_FIELD)) return -1;
  at += P_FIELD.length;
  if (at + 64 > end) return -1;
  // a byte other than a lowercase hex digit makes the pair negative
  for (let j = 0; j < 32; j++)
    if (((HEX[data[at + 2 * j]] << 4) | HEX[data[at + 2 * j + 1]]) !== leaves[previousAt + j]) return -1;
  at += 64;
  if (!bytesAt(data, at, end, R_FIELD)) return -1;
  if (bytesAt(data, at + R_FIELD.length, end, CHECKPOINT_MARK)) return -1;
  return i;
}
const hashInto = typeof crypto.hash === 'function'
  ? (input, out, at) => out.write(crypto.hash('sha256', input, 'latin1'), at, 32, 'latin1')
  : (input, out, at) => out.write(crypto.createHash('sha256').update(input).digest('latin1'), at, 32, 'latin1');
let scratch = Buffer.allocUnsafeSlow(1 + 32 * 1024);
// MTH of the 2^h leaves from leaf k of \`full\` (leaf j at 1 + 32j, after a spare byte) into out at outAt:
// each level's nodes are contiguous, so a parent's input is the byte before its left child (borrowed
// for the 0x01 prefix) and the two children; parents are written in place over the nodes consumed
function subtreeRoot(full, k, h, out, outAt) {
  let count = 2 ** h;
  if (scratch.length < 1 + 16 * count) scratch = Buffer.allocUnsafeSlow(1 + 16 * count);
  for (let j = 0; j < count; j += 2) {
    const at = 1 + 32 * (k + j);
    const borrowed = full[at - 1];
    full[at - 1] = 1;
    hashInto(full.subarray(at - 1, at + 64), scratch, 1 + 16 * j);
    full[at - 1] = borrowed;
  }
  for (count /= 2; count > 1; count /= 2) {
    for (let j = 0; j < count; j += 2) {
      scratch[32 * j] = 1;
      hashInto(scratch.subarray(32 * j, 32 * j + 65), scratch, 1 + 16 * j);
    }
  }
  scratch.copy(out, outAt, 1, 33);
}
// the aligned subtrees of height >= 1 over runs of vouched lines numbered in sequence (whoever accepts
// a run's first line checks its index): each run [k, k + run) of records i, i + 1, … splits greedily
// into the largest aligned power-of-two blocks
function subtrees(indexes) {
  const n = indexes.length;
  const trees = [];
  let k = 1;
  while (k < n) {
    if (indexes[k] < 0) { k++; continue; }
    let run = 1;
    while (k + run < n && indexes[k + run] === indexes[k + run - 1] + 1) run++;
    let a = indexes[k];
    for (let at = k, left = run; left > 0; ) {
      let h = 0;
      while (h < 30 && 2 ** (h + 1) <= left && a % 2 ** (h + 1) === 0) h++;
      if (h > 0) trees.push(at, h);
      at += 2 ** h;
      a += 2 ** h;
      left -= 2 ** h;
    }
    k += run;
  }
  return trees;
}
function readRange({ fd, start, end, toEof, maxRecordBytes: max }, spare) {
  const base = start === 0 ? 0 : start - 1;
  const first = end - base + 1 + SLACK;
  let buf = spare !== undefined && spare.byteLength >= first ? Buffer.from(spare) : Buffer.allocUnsafeSlow(first);
  let len = 1;
  let eof = false;
  // reads on until the buffer holds \`least\` bytes or the file ends; a long line grows the buffer
  const more = (least) => {
    while (len < least && !eof) {
      if (len === buf.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(2 * buf.length, least));
        buf.copy(grown, 0, 0, len);
        buf = grown;
      }
      const n = readSync(fd, buf, len, Math.min(buf.length - len, Math.max(least - len, SLACK)), base + len - 1);
      if (n === 0) eof = true;
      else len += n;
    }
  };
  const stop = toEof ? Infinity : end - base + 1;
  more(first);
  const bounds = [];
  let torn;
  let problem;
  let at = 1;
  if (start > 0) {
    // the first line break from the byte before start; to the end of the file, past a long line
    // begun before (its own range reads it, or finds it too long)
    let nl = buf.indexOf(10, 1);
    if (nl >= len) nl = -1;
    while (nl === -1 && toEof && !eof && len <= max + 2) {
      const searched = len;
      more(len + Math.max(SLACK, len));
      nl = buf.indexOf(10, searched);
      if (nl >= len) nl = -1;
    }
    at = nl === -1 || nl >= Math.min(len, stop - 1) ? Infinity : nl + 1;
  }
  while (at < stop) {
    let nl = buf.indexOf(10, at);
    if (nl >= len) nl = -1;
    while (nl === -1) {
      if (len - at > max) { problem = true; break; }
      if (eof) { if (at < len) torn = [at, len]; break; }
      const searched = len;
      more(len + Math.max(SLACK, len - at));
      nl = buf.indexOf(10, searched);
      if (nl >= len) nl = -1;
    }
    if (nl === -1) break;
    if (nl - at > max) { problem = true; break; }
    bounds.push(at, nl);
    at = nl + 1;
  }
  return { buf, len, bounds, torn, problem };
}
parentPort.on('message', ({ id, job, spare }) => {
  const { buf, len, bounds, torn, problem } = readRange(job, spare);
  const n = bounds.length / 2;
  const indexes = new Float64Array(n);
  const lines = new Int32Array(bounds.length);
  // leaf k at 1 + 32k, after a spare byte: the prefix of the first pair's node input
  const full = Buffer.from(new ArrayBuffer(1 + n * 32));
  for (let k = 0; k < n; k++) {
    const start = bounds[2 * k], end = bounds[2 * k + 1];
    const before = buf[start - 1];
    buf[start - 1] = 0;
    full.write(sha256latin1(buf.subarray(start - 1, end)), 1 + 32 * k, 32, 'latin1');
    buf[start - 1] = before;
    indexes[k] = k === 0 ? -1 : vouch(buf, start, end, full, 1 + 32 * (k - 1));
    lines[2 * k] = start - 1;
    lines[2 * k + 1] = end - 1;
  }
  const trees = Int32Array.from(subtrees(indexes));
  const roots = Buffer.from(new ArrayBuffer(16 * trees.length));
  for (let t = 0; t < trees.length; t += 2) subtreeRoot(full, trees[t], trees[t + 1], roots, 16 * t);
  const buffer = buf.buffer;
  parentPort.postMessage(
    { id, buffer, length: len - 1, lines, leaves: full.buffer, indexes, trees, roots: roots.buffer, torn: torn && [torn[0] - 1, torn[1] - 1], problem },
    [buffer, full.buffer, indexes.buffer, lines.buffer, trees.buffer, roots.buffer],
  );
});
`;

interface Waiting {
  readonly job: RangeJob;
  resolve(hashed: HashedChunk): void;
  reject(error: unknown): void;
}

interface Hashed {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly lines: Int32Array;
  readonly leaves: ArrayBuffer;
  readonly indexes: Float64Array;
  readonly trees: Int32Array;
  readonly roots: ArrayBuffer;
  readonly torn: [number, number] | undefined;
  readonly problem: true | undefined;
}

/**
 * `workers` worker threads (at least one) reading and hashing ranges; each range goes to the worker with
 * the fewest in hand.
 * @internal
 */
export function createLeafHasher(workers = 1): LeafHasher {
  let nextId = 0;
  let closing = false;
  const waiting = new Map<number, Waiting>();
  const failAll = (error: unknown) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  const onMessage = (m: Hashed) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (w === undefined) return;
    const { job } = w;
    const data = Buffer.from(m.buffer, 1, m.length);
    const offset = job.start === 0 ? 0 : job.start - 1;
    w.resolve({
      chunk: {
        segment: job.segment,
        data,
        offset,
        lines: m.lines,
        ...(m.torn === undefined ? {} : { torn: data.subarray(m.torn[0], m.torn[1]) }),
        ...(m.problem === undefined ? {} : { problem: lineTooLong(job.maxRecordBytes) }),
      },
      leaves: Buffer.from(m.leaves, 1),
      indexes: m.indexes,
      trees: m.trees,
      roots: Buffer.from(m.roots),
    });
  };
  const pool = Array.from({ length: Math.max(1, workers) }, () => {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: Hashed) => {
      entry.inHand--;
      onMessage(m);
    });
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      // closing abandons ranges hashed ahead that nobody waits for any more
      if (closing) waiting.clear();
      else failAll(new Error(`leaf hashing worker exited (${code})`));
    });
    const entry = { worker, inHand: 0 };
    return entry;
  });
  return {
    workers: pool.length,
    hash(job, spare) {
      const id = nextId++;
      let least = pool[0] as (typeof pool)[number];
      for (const entry of pool) if (entry.inHand < least.inHand) least = entry;
      least.inHand++;
      return new Promise<HashedChunk>((resolve, reject) => {
        waiting.set(id, { job, resolve, reject });
        const { fd, start, end, toEof, maxRecordBytes } = job;
        const range = { fd, start, end, toEof, maxRecordBytes };
        least.worker.postMessage({ id, job: range, spare }, spare === undefined ? [] : [spare]);
      });
    },
    async close() {
      closing = true;
      await Promise.all(pool.map((entry) => entry.worker.terminate()));
    },
  };
}

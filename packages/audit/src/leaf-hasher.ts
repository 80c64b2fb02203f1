import { Worker } from 'node:worker_threads';
import type { LineChunk } from './log-reader.js';

/** A chunk back from the worker with the leaf hashes of its lines and what it vouches for. @internal */
export interface HashedChunk {
  /** The chunk, its bytes as they were sent. */
  readonly chunk: LineChunk;
  /** 32 bytes per complete line of the chunk, in order. */
  readonly leaves: Buffer;
  /**
   * Per complete line: the index its record carries when the worker vouches that its envelope is well
   * formed, not a checkpoint's, and chained to the line before it in the chunk (its `p` names that line's
   * leaf hash), all as envelope-prefix.ts's `peek` and `follows` would find; otherwise -1 (always for the first line).
   */
  readonly indexes: Float64Array;
}

/**
 * RFC 6962 leaf hashes of every complete line of a chunk, computed off the calling thread, which is left
 * with the tree and the checks the worker does not vouch for. @internal
 */
export interface LeafHasher {
  /**
   * Hashes the chunk's lines. The chunk's buffer moves to the worker and back instead of being copied
   * (`chunk.data` is empty meanwhile): use the returned chunk.
   */
  hash(chunk: LineChunk): Promise<HashedChunk>;
  close(): Promise<void>;
}

// The worker hashes `0x00 ‖ line` for each [start, end) pair. It writes the 0x00 prefix over the
// preceding newline instead of copying each line, and puts the newline back before it returns the bytes.
// A digest as a hex string costs far less than one as a Buffer, and the hex is what the next line's `p`
// must be; the chunk's digests are decoded in one go. `vouch` accepts what envelope-prefix.ts's `peek` accepts,
// less checkpoints and an empty `p`, when `p` is the hex of the line before.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const sha256hex = typeof crypto.hash === 'function'
  ? (b) => crypto.hash('sha256', b, 'hex')
  : (b) => crypto.createHash('sha256').update(b).digest('hex');
const HEAD = Buffer.from('{"i":');
const P_FIELD = Buffer.from(',"p":"');
const R_FIELD = Buffer.from('","r":{');
const CHECKPOINT_MARK = Buffer.from('"kind":"checkpoint"');
function bytesAt(data, at, end, expected) {
  if (at + expected.length > end) return false;
  for (let j = 0; j < expected.length; j++) if (data[at + j] !== expected[j]) return false;
  return true;
}
function vouch(data, start, end, previous) {
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
  for (let j = 0; j < 64; j++) if (data[at + j] !== previous.charCodeAt(j)) return -1;
  at += 64;
  if (!bytesAt(data, at, end, R_FIELD)) return -1;
  if (bytesAt(data, at + R_FIELD.length, end, CHECKPOINT_MARK)) return -1;
  return i;
}
parentPort.on('message', ({ id, buffer, offset, length, lines }) => {
  const data = Buffer.from(buffer, offset, length);
  const n = lines.length / 2;
  const hexes = new Array(n);
  const indexes = new Float64Array(n);
  let previous;
  for (let k = 0; k < n; k++) {
    const start = lines[2 * k], end = lines[2 * k + 1];
    let hex;
    if (start > 0) {
      const newline = data[start - 1];
      data[start - 1] = 0;
      hex = sha256hex(data.subarray(start - 1, end));
      data[start - 1] = newline;
    } else {
      const input = Buffer.allocUnsafe(end + 1);
      input[0] = 0;
      data.copy(input, 1, 0, end);
      hex = sha256hex(input);
    }
    hexes[k] = hex;
    indexes[k] = k === 0 ? -1 : vouch(data, start, end, previous);
    previous = hex;
  }
  const leaves = Buffer.from(new ArrayBuffer(n * 32));
  leaves.write(hexes.join(''), 'hex');
  const moved = [buffer, leaves.buffer, indexes.buffer];
  parentPort.postMessage({ id, buffer, leaves: leaves.buffer, indexes }, moved);
});
`;

interface Waiting {
  readonly chunk: LineChunk;
  readonly offset: number;
  readonly length: number;
  resolve(hashed: HashedChunk): void;
  reject(error: unknown): void;
}

/** @internal */
export function createLeafHasher(): LeafHasher {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  let nextId = 0;
  let closing = false;
  const waiting = new Map<number, Waiting>();
  const failAll = (error: unknown) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on(
    'message',
    (m: { id: number; buffer: ArrayBuffer; leaves: ArrayBuffer; indexes: Float64Array }) => {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (w === undefined) return;
      const { chunk, offset, length } = w;
      w.resolve({
        chunk: { ...chunk, data: Buffer.from(m.buffer, offset, length) },
        leaves: Buffer.from(m.leaves),
        indexes: m.indexes,
      });
    },
  );
  worker.on('error', failAll);
  worker.on('exit', (code) => {
    // closing abandons chunks hashed ahead that nobody waits for any more
    if (closing) waiting.clear();
    else failAll(new Error(`leaf hashing worker exited (${code})`));
  });
  return {
    hash(chunk) {
      if (chunk.lines.length === 0)
        return Promise.resolve({ chunk, leaves: Buffer.alloc(0), indexes: new Float64Array(0) });
      const id = nextId++;
      const { data, lines } = chunk;
      const buffer = data.buffer as ArrayBuffer;
      const offset = data.byteOffset;
      const length = data.length;
      return new Promise<HashedChunk>((resolve, reject) => {
        waiting.set(id, { chunk, offset, length, resolve, reject });
        worker.postMessage({ id, buffer, offset, length, lines }, [buffer]);
      });
    },
    async close() {
      closing = true;
      await worker.terminate();
    },
  };
}

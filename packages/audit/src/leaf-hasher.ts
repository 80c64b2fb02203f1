import { Worker } from 'node:worker_threads';
import type { LineChunk } from './log-reader.js';

/** RFC 6962 leaf hashes of every complete line of a chunk, computed off the calling thread. @internal */
export interface LeafHasher {
  /** 32 bytes per complete line of `chunk`, in order. */
  hash(chunk: LineChunk): Promise<Buffer>;
  close(): Promise<void>;
}

// The worker hashes `0x00 ‖ line` for each [start, end) pair. It owns its copy of the chunk, so it
// writes the 0x00 prefix over the preceding newline instead of copying each line.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const sha256 = typeof crypto.hash === 'function'
  ? (b) => crypto.hash('sha256', b, 'buffer')
  : (b) => crypto.createHash('sha256').update(b).digest();
parentPort.on('message', ({ id, buffer, lines }) => {
  const data = Buffer.from(buffer);
  const n = lines.length / 2;
  const out = Buffer.from(new ArrayBuffer(n * 32));
  for (let k = 0; k < n; k++) {
    const start = lines[2 * k], end = lines[2 * k + 1];
    let input;
    if (start > 0) { data[start - 1] = 0; input = data.subarray(start - 1, end); }
    else { input = Buffer.allocUnsafe(end + 1); input[0] = 0; data.copy(input, 1, 0, end); }
    sha256(input).copy(out, k * 32);
  }
  parentPort.postMessage({ id, out: out.buffer, offset: out.byteOffset, length: out.length }, [out.buffer]);
});
`;

/** @internal */
export function createLeafHasher(): LeafHasher {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  let nextId = 0;
  let closing = false;
  const waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: unknown) => void }>();
  const failAll = (error: unknown) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', (m: { id: number; out: ArrayBuffer; offset: number; length: number }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    w?.resolve(Buffer.from(m.out, m.offset, m.length));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => {
    // closing abandons chunks hashed ahead that nobody waits for any more
    if (closing) waiting.clear();
    else failAll(new Error(`leaf hashing worker exited (${code})`));
  });
  return {
    hash(chunk) {
      const id = nextId++;
      const { data } = chunk;
      const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
      return new Promise<Buffer>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, buffer, lines: chunk.lines }, [buffer as ArrayBuffer]);
      });
    },
    async close() {
      closing = true;
      await worker.terminate();
    },
  };
}

import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Segment files are named by the index of their first record: 12 digits + `.jsonl`.
 *
 * @example
 * ```ts
 * const first = Number(SEGMENT_PATTERN.exec('000000046894.jsonl')?.[1]); // 46894
 * ```
 */
export const SEGMENT_PATTERN = /^(\d{12})\.jsonl$/;

/**
 * The name of the segment starting at `index`.
 *
 * @example
 * ```ts
 * segmentName(46_894); // '000000046894.jsonl'
 * ```
 */
export function segmentName(index: number): string {
  return `${String(index).padStart(12, '0')}.jsonl`;
}

/**
 * Segments of a log directory, in order.
 *
 * @example
 * ```ts
 * for (const segment of await listSegments('.writ/audit')) {
 *   console.log(`${segment.name}: records from ${segment.first}`);
 * }
 * ```
 */
export async function listSegments(dir: string): Promise<{ name: string; path: string; first: number }[]> {
  const names = (await readdir(dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
  return names.map((name) => ({
    name,
    path: join(dir, name),
    first: Number(SEGMENT_PATTERN.exec(name)?.[1]),
  }));
}

/**
 * One stored line as read back.
 *
 * @example
 * ```ts
 * // PostgreSQL rows as stored lines, for verifyLines
 * async function* rows(lines: readonly string[]): AsyncGenerator<StoredLine> {
 *   for (const [index, line] of lines.entries()) {
 *     yield { bytes: Buffer.from(line, 'utf8'), complete: true, segment: 'writ_audit', offset: index };
 *   }
 * }
 * ```
 */
export interface StoredLine {
  /** Bytes of the line without its newline: the hashed bytes. */
  readonly bytes: Buffer;
  /** False for a final line with no newline (a torn write). */
  readonly complete: boolean;
  readonly segment: string;
  /** Byte offset of the line in its segment. */
  readonly offset: number;
}

/**
 * Lines of one read chunk: `data` plus `[start, end)` pairs of every complete line in it. When there are
 * lines, `data` lies in an `ArrayBuffer` of its own (never Node's shared pool): it can move to a worker.
 * @internal
 */
export interface LineChunk {
  readonly segment: string;
  readonly data: Buffer;
  /** Byte offset of `data[0]` in its segment. */
  readonly offset: number;
  /** `[start, end)` of each complete line (newline excluded), in order. */
  readonly lines: Int32Array;
  /** A final line with no newline at the end of the segment (a torn write), if any. */
  readonly torn?: Buffer | undefined;
}

/** Bytes read from a segment at a time, at least (after the partial line carried over from the last read). */
const READ_BYTES = 1 << 20;
/** Room in a new chunk buffer for the partial line carried over. */
const CARRY_ROOM = 64 << 10;

/**
 * Streams every segment in ~1 MiB chunks cut at line boundaries (the form `readLines` and the parallel
 * verifier consume). The bytes of each chunk with lines are a view of an `ArrayBuffer` of their own:
 * one from `spare` when it is large enough (a consumer puts a chunk's buffer there once it no longer
 * looks at its bytes, to spare the allocation), else a new one.
 * @internal
 */
export async function* readChunks(dir: string, spare: ArrayBuffer[] = []): AsyncGenerator<LineChunk> {
  for (const segment of await listSegments(dir)) {
    const file = await open(segment.path, 'r');
    try {
      let carry: Buffer = Buffer.alloc(0);
      let offset = 0;
      for (;;) {
        const buffer = chunkBuffer(spare, carry.length + READ_BYTES);
        carry.copy(buffer);
        const { bytesRead } = await file.read(
          buffer,
          carry.length,
          buffer.length - carry.length,
          offset + carry.length,
        );
        if (bytesRead === 0) {
          spare.push(buffer.buffer as ArrayBuffer);
          break;
        }
        const data = buffer.subarray(0, carry.length + bytesRead);
        const lines = lineBounds(data);
        const used = lines.length === 0 ? 0 : (lines[lines.length - 1] as number) + 1;
        // copied before the chunk is handed out: its consumer may move its buffer to another thread
        carry = Buffer.from(data.subarray(used));
        if (lines.length > 0) yield { segment: segment.path, data, offset, lines };
        offset += used;
      }
      if (carry.length > 0)
        yield { segment: segment.path, data: carry, offset, lines: new Int32Array(0), torn: carry };
    } finally {
      await file.close();
    }
  }
}

/** A buffer of at least `least` bytes that no other buffer shares memory with. */
function chunkBuffer(spare: ArrayBuffer[], least: number): Buffer {
  const reused = spare.pop();
  if (reused !== undefined && reused.byteLength >= least) return Buffer.from(reused);
  return Buffer.allocUnsafeSlow(Math.max(least, READ_BYTES + CARRY_ROOM));
}

/** `[start, end)` of each complete line of `data`. */
function lineBounds(data: Buffer): Int32Array {
  const bounds: number[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(10, start);
    if (nl === -1) break;
    bounds.push(start, nl);
    start = nl + 1;
  }
  return Int32Array.from(bounds);
}

/**
 * Streams every line of every segment, in order, as raw bytes (never re-encoded).
 *
 * @example
 * ```ts
 * for await (const line of readLines('.writ/audit')) if (!line.complete) console.log('torn tail in', line.segment);
 * ```
 */
export async function* readLines(dir: string): AsyncGenerator<StoredLine> {
  for await (const chunk of readChunks(dir)) yield* chunkLines(chunk);
}

/** The stored lines of a chunk. @internal */
export function* chunkLines(chunk: LineChunk): Generator<StoredLine> {
  const { data, lines, segment, offset } = chunk;
  for (let k = 0; k < lines.length; k += 2) {
    const start = lines[k] as number;
    yield { bytes: data.subarray(start, lines[k + 1]), complete: true, segment, offset: offset + start };
  }
  if (chunk.torn !== undefined) yield { bytes: chunk.torn, complete: false, segment, offset };
}

import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Segment files are named by the index of their first record: 12 digits + `.jsonl`. */
export const SEGMENT_PATTERN = /^(\d{12})\.jsonl$/;

/** The name of the segment starting at `index`. */
export function segmentName(index: number): string {
  return `${String(index).padStart(12, '0')}.jsonl`;
}

/** Segments of a log directory, in order. */
export async function listSegments(dir: string): Promise<{ name: string; path: string; first: number }[]> {
  const names = (await readdir(dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
  return names.map((name) => ({
    name,
    path: join(dir, name),
    first: Number(SEGMENT_PATTERN.exec(name)?.[1]),
  }));
}

/** One stored line as read back. */
export interface StoredLine {
  /** Bytes of the line without its newline: the hashed bytes. */
  readonly bytes: Buffer;
  /** False for a final line with no newline (a torn write). */
  readonly complete: boolean;
  readonly segment: string;
  /** Byte offset of the line in its segment. */
  readonly offset: number;
}

/** Lines of one read chunk: `data` plus `[start, end)` pairs of every complete line in it. @internal */
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

/**
 * Streams every segment in ~1 MiB chunks cut at line boundaries (the form `readLines` and the parallel
 * verifier consume).
 * @internal
 */
export async function* readChunks(dir: string): AsyncGenerator<LineChunk> {
  for (const segment of await listSegments(dir)) {
    let carry: Buffer = Buffer.alloc(0);
    let offset = 0;
    for await (const chunk of createReadStream(segment.path, {
      highWaterMark: 1 << 20,
    }) as AsyncIterable<Buffer>) {
      const data = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      const bounds: number[] = [];
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl === -1) break;
        bounds.push(start, nl);
        start = nl + 1;
      }
      if (bounds.length > 0) {
        yield { segment: segment.path, data, offset, lines: Int32Array.from(bounds) };
      }
      offset += start;
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0)
      yield { segment: segment.path, data: carry, offset, lines: new Int32Array(0), torn: carry };
  }
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

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

/**
 * Streams every line of every segment, in order, as raw bytes (never re-encoded).
 *
 * @example
 * ```ts
 * for await (const line of readLines('.writ/audit')) if (!line.complete) console.log('torn tail in', line.segment);
 * ```
 */
export async function* readLines(dir: string): AsyncGenerator<StoredLine> {
  for (const segment of await listSegments(dir)) {
    let carry: Buffer = Buffer.alloc(0);
    let offset = 0;
    for await (const chunk of createReadStream(segment.path, {
      highWaterMark: 1 << 20,
    }) as AsyncIterable<Buffer>) {
      let data = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl === -1) break;
        yield {
          bytes: data.subarray(start, nl),
          complete: true,
          segment: segment.path,
          offset: offset + start,
        };
        start = nl + 1;
      }
      offset += start;
      carry = Buffer.from(data.subarray(start));
      data = Buffer.alloc(0);
    }
    if (carry.length > 0) yield { bytes: carry, complete: false, segment: segment.path, offset };
  }
}

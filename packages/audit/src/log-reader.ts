import { constants } from 'node:fs';
import { type FileHandle, open, readdir } from 'node:fs/promises';
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
  /** False for a final line with no newline (a torn write), and for a line the reader refused. */
  readonly complete: boolean;
  readonly segment: string;
  /** Byte offset of the line in its segment. */
  readonly offset: number;
  /**
   * Why the reader refused to read on (a segment that is not a regular file, a line longer than the
   * bound on a record): the log is not as written from here, and nothing after this line is read.
   * `bytes` is then empty.
   */
  readonly problem?: string | undefined;
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
  /** Why reading stopped after this chunk's lines (see {@link StoredLine.problem}); the last chunk read. */
  readonly problem?: string | undefined;
}

/**
 * The longest line a reader takes as a record, bytes: a longer one is a finding, not an allocation.
 * Records are at most a few megabytes (arguments over the pipeline's `limits.argsBytes` are refused
 * before they are recorded).
 * @internal
 */
export const MAX_RECORD_BYTES = 256 << 20;

/** Bytes read from a segment at a time, at least (after the partial line carried over from the last read). */
const READ_BYTES = 1 << 20;
/** Room in a new chunk buffer for the partial line carried over. */
const CARRY_ROOM = 64 << 10;
/** Opens for reading without following a symbolic link (where the platform can refuse one). */
const READ_NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
const EMPTY = Buffer.alloc(0);

/**
 * Streams every segment in ~1 MiB chunks cut at line boundaries (the form `readLines` and the parallel
 * verifier consume). The bytes of each chunk with lines are a view of an `ArrayBuffer` of their own:
 * one from `spare` when it is large enough (a consumer puts a chunk's buffer there once it no longer
 * looks at its bytes, to spare the allocation), else a new one. Reads regular files only, never through
 * a symbolic link, and no line longer than `maxRecordBytes`: either ends the stream with a chunk that
 * names the problem.
 * @internal
 */
export async function* readChunks(
  dir: string,
  spare: ArrayBuffer[] = [],
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncGenerator<LineChunk> {
  for (const segment of await listSegments(dir)) {
    const opened = await openSegment(segment.path, segment.name);
    if (typeof opened === 'string') {
      yield { segment: segment.path, data: EMPTY, offset: 0, lines: new Int32Array(0), problem: opened };
      return;
    }
    const file = opened;
    try {
      let carry: Buffer = EMPTY;
      let offset = 0;
      for (;;) {
        // a line longer than one read grows the buffer geometrically (copying it stays linear), up to
        // just past the bound
        const grow = Math.max(READ_BYTES, Math.min(carry.length, maxRecordBytes + 1 - carry.length));
        const buffer = chunkBuffer(spare, carry.length + grow);
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
        carry = lines.length === 0 ? data : Buffer.from(data.subarray(used));
        const tooLong =
          carry.length > maxRecordBytes || longestLine(lines) > maxRecordBytes
            ? lineTooLong(maxRecordBytes)
            : undefined;
        if (tooLong !== undefined) {
          yield {
            segment: segment.path,
            data: lines.length > 0 ? data : EMPTY,
            offset,
            lines: untilLonger(lines, maxRecordBytes),
            problem: tooLong,
          };
          return;
        }
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

/** Why reading stops at a line longer than `max` bytes. @internal */
export function lineTooLong(max: number): string {
  return `a line longer than ${max} bytes (the bound on a record): not a Writ log record`;
}

/**
 * The segment opened for reading, or why it is refused: it must be a regular file, not a link.
 * @internal
 */
export async function openSegment(path: string, name: string): Promise<FileHandle | string> {
  let file: FileHandle;
  try {
    file = await open(path, READ_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return notRegular(name, 'a symbolic link');
    throw error;
  }
  const info = await file.stat();
  if (info.isFile()) return file;
  await file.close();
  return notRegular(name, fileKind(info));
}

function notRegular(name: string, kind: string): string {
  return `segment ${name} is not a regular file (${kind}): refusing to read it`;
}

/**
 * What kind of file `info` describes, for messages: `a directory`, `a character device`, …
 * @internal
 */
export function fileKind(info: {
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
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

/** The length of the longest line in `lines`. */
function longestLine(lines: Int32Array): number {
  let longest = 0;
  for (let k = 0; k < lines.length; k += 2)
    longest = Math.max(longest, (lines[k + 1] as number) - (lines[k] as number));
  return longest;
}

/** The lines before the first one longer than `max`. */
function untilLonger(lines: Int32Array, max: number): Int32Array {
  for (let k = 0; k < lines.length; k += 2) {
    if ((lines[k + 1] as number) - (lines[k] as number) > max) return lines.slice(0, k);
  }
  return lines;
}

/**
 * Options of {@link readLines}.
 *
 * @example
 * ```ts
 * const options: ReadLinesOptions = { maxRecordBytes: 16 << 20 };
 * for await (const line of readLines('.writ/audit', options)) if (line.problem) console.error(line.problem);
 * ```
 */
export interface ReadLinesOptions {
  /**
   * A line longer than this is not read: it ends the stream with a {@link StoredLine.problem}.
   * @default 268435456 (256 MiB)
   */
  maxRecordBytes?: number;
}

/**
 * Streams every line of every segment, in order, as raw bytes (never re-encoded). Reads regular files
 * only, never through a symbolic link, with a bound on a line: a segment or a line it refuses ends the
 * stream with a line that names the problem (`problem`, `complete: false`).
 *
 * @example
 * ```ts
 * for await (const line of readLines('.writ/audit')) {
 *   if (line.problem !== undefined) throw new Error(line.problem);
 *   if (!line.complete) console.log('torn tail in', line.segment);
 * }
 * ```
 */
export async function* readLines(dir: string, options: ReadLinesOptions = {}): AsyncGenerator<StoredLine> {
  for await (const chunk of readChunks(dir, [], options.maxRecordBytes)) yield* chunkLines(chunk);
}

/** The stored lines of a chunk. @internal */
export function* chunkLines(chunk: LineChunk): Generator<StoredLine> {
  const { data, lines, segment, offset } = chunk;
  for (let k = 0; k < lines.length; k += 2) {
    const start = lines[k] as number;
    yield { bytes: data.subarray(start, lines[k + 1]), complete: true, segment, offset: offset + start };
  }
  if (chunk.torn !== undefined) yield { bytes: chunk.torn, complete: false, segment, offset };
  if (chunk.problem !== undefined) {
    const at = lines.length === 0 ? offset : offset + (lines[lines.length - 1] as number) + 1;
    yield { bytes: EMPTY, complete: false, segment, offset: at, problem: chunk.problem };
  }
}

import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogStorage, LogWriteOptions } from '../log-appender.js';
import { segmentName } from '../log-reader.js';

/**
 * Where a file log's appender puts lines: the last segment file (`<first index>.jsonl`), appended to
 * with one write per batch, and a new segment once the current one has grown past `maxSegmentBytes`.
 *
 * @example
 * ```ts
 * const storage = await SegmentStorage.open(dir, resume.size, lastSegment, FILE_SINK_DEFAULTS.maxSegmentBytes);
 * const appender = createLogAppender({ origin, signer, storage, resume });
 * ```
 * @internal
 */
export class SegmentStorage implements LogStorage {
  private constructor(
    private readonly dir: string,
    private handle: FileHandle,
    private bytes: number,
    private next: number,
    private readonly maxSegmentBytes: number,
  ) {}

  /**
   * Opens `lastSegment` (or, in an empty log, the first segment) for appending after `size` records.
   */
  static async open(
    dir: string,
    size: number,
    lastSegment: string | undefined,
    maxSegmentBytes: number,
  ): Promise<SegmentStorage> {
    const path = lastSegment ?? join(dir, segmentName(size));
    const handle = await open(path, APPEND_NO_FOLLOW, 0o600);
    const { size: bytes } = await handle.stat();
    return new SegmentStorage(dir, handle, bytes, size, maxSegmentBytes);
  }

  async write(lines: readonly string[], options: LogWriteOptions): Promise<void> {
    if (this.bytes > 0 && this.bytes >= this.maxSegmentBytes) await this.rotate();
    const buffer =
      options.encoded === undefined
        ? Buffer.from(`${lines.join('\n')}\n`, 'utf8')
        : joinLines(options.encoded);
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    this.bytes += buffer.length;
    this.next += lines.length;
    if (options.sync) await this.handle.datasync();
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async rotate(): Promise<void> {
    await this.handle.datasync();
    await this.handle.close();
    this.handle = await open(join(this.dir, segmentName(this.next)), APPEND_NO_FOLLOW, 0o600);
    this.bytes = 0;
  }
}

/** `'a'` (append, create), but never through a symbolic link planted at a segment's name. */
const APPEND_NO_FOLLOW =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** The lines' bytes, each followed by a newline, in one buffer (the appender already encoded them). */
function joinLines(encoded: readonly { readonly bytes: Buffer }[]): Buffer {
  let length = 0;
  for (const e of encoded) length += e.bytes.length + 1;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const e of encoded) {
    at += e.bytes.copy(out, at);
    out[at++] = 0x0a;
  }
  return out;
}

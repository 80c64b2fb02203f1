import { truncate } from 'node:fs/promises';
import { WritError } from '@writ/core';
import { peekEnvelope } from '../envelope-prefix.js';
import type { LogResume } from '../log-appender.js';
import { listSegments, readLines } from '../log-reader.js';
import { createFrontier } from '../merkle/frontier.js';
import { leafHash } from '../merkle/hashing.js';

/**
 * What opening a file log found: where to resume, the bytes of a torn final line cut off, and the
 * segment to append to.
 * @internal
 */
export interface RecoveredLog {
  readonly resume: LogResume;
  readonly repairedBytes: number;
  readonly lastSegment: string | undefined;
}

/**
 * Reads the whole log to rebuild the tree; cuts a torn final line (a write cut short by a crash) off the
 * last segment; refuses any other damage with `WRIT_AUDIT_UNAVAILABLE` (reason `log_damaged`, naming
 * the record), so the sink never appends after a log that is not as written. A segment that is not a
 * regular file, or a line longer than `maxRecordBytes` (default 256 MiB), is damage, never a torn line
 * to cut.
 *
 * @example
 * ```ts
 * const { resume, repairedBytes, lastSegment } = await recoverLog(dir);
 * ```
 * @internal
 */
export async function recoverLog(
  dir: string,
  options: { readonly maxRecordBytes?: number } = {},
): Promise<RecoveredLog> {
  const frontier = createFrontier();
  let size = 0;
  let last = '';
  let checkpointedSize = 0;
  let repairedBytes = 0;
  const segments = await listSegments(dir);
  for await (const line of readLines(dir, options)) {
    if (line.problem !== undefined) throw damaged(size, line.problem);
    if (!line.complete) {
      const lastSegment = segments.at(-1);
      if (line.segment !== lastSegment?.path)
        throw damaged(size, 'a segment other than the last ends mid-record');
      await truncate(line.segment, line.offset);
      repairedBytes = line.bytes.length;
      break;
    }
    const text = line.bytes.toString('utf8');
    const peek = peekEnvelope(text);
    if (peek === undefined || peek.i !== size || peek.p !== last)
      throw damaged(size, 'the record does not continue the chain');
    const hash = leafHash(line.bytes);
    frontier.append(hash);
    last = hash.toString('hex');
    size++;
    if (text.includes('"kind":"checkpoint"')) {
      const record = (JSON.parse(text) as { r: { kind?: string } }).r;
      if (record.kind === 'checkpoint') checkpointedSize = size;
    }
  }
  const lastSegment = (await listSegments(dir)).at(-1)?.path;
  return {
    resume: { size, lastLeafHash: last, frontier: frontier.state(), checkpointedSize },
    repairedBytes,
    lastSegment,
  };
}

function damaged(index: number, why: string): WritError {
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log is damaged at record ${index} (${why}): run writ verify; refusing to append`,
    {
      details: { reason: 'log_damaged', index },
    },
  );
}

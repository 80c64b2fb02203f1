import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { WritError } from '@writ/core';
import { fileKind } from '../log-reader.js';

/**
 * Small files read whole (a log's `log.json` and published `checkpoint`, a key or a checkpoint a user
 * names) are read with a bound, so a link to `/dev/zero` or a huge file is an error, not an endless read.
 */

/**
 * Options of {@link readBoundedFile}.
 * @internal
 */
export interface ReadBoundedFileOptions {
  /** More bytes than this is an error. */
  readonly maxBytes: number;
  /**
   * Only a regular file reached without following a symbolic link (files inside a log directory, where
   * whoever can write the directory could plant one). Otherwise any file a path leads to, a pipe
   * included (`--key-file <(vault read …)`).
   */
  readonly regularOnly: boolean;
}

/**
 * The text of a small file, or `undefined` when it does not exist. A file that is not what
 * `regularOnly` allows, or holds more than `maxBytes`, throws `WRIT_AUDIT_UNAVAILABLE` (reason
 * `not_a_file` or `too_large`) without reading it whole.
 *
 * @example
 * ```ts
 * const note = await readBoundedFile(join(dir, 'checkpoint'), { maxBytes: 64 << 10, regularOnly: true });
 * ```
 * @internal
 */
export async function readBoundedFile(
  path: string,
  options: ReadBoundedFileOptions,
): Promise<string | undefined> {
  const flags = constants.O_RDONLY | (options.regularOnly ? (constants.O_NOFOLLOW ?? 0) : 0);
  let file: FileHandle;
  try {
    file = await open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' && options.regularOnly) throw notAFile(path, 'a symbolic link');
    throw error;
  }
  try {
    const info = await file.stat();
    if (info.isDirectory() || (options.regularOnly && !info.isFile())) throw notAFile(path, fileKind(info));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(Math.min(64 << 10, options.maxBytes + 1 - total));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > options.maxBytes) {
        throw new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `${path} is larger than ${options.maxBytes} bytes: refusing to read it`,
          { details: { reason: 'too_large', path } },
        );
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await file.close();
  }
}

function notAFile(path: string, kind: string): WritError {
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `${path} is not a regular file (${kind}): refusing to read it`,
    {
      details: { reason: 'not_a_file', path },
    },
  );
}

/**
 * The bound on the small files of a log (`log.json`, `checkpoint`) and on keys and notes a user names,
 * bytes.
 *
 * @example
 * ```ts
 * const key = await readBoundedFile(keyFile, { maxBytes: SMALL_FILE_BYTES, regularOnly: false });
 * ```
 * @internal
 */
export const SMALL_FILE_BYTES = 64 << 10;

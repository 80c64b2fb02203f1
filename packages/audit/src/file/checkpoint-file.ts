import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readBoundedFile, SMALL_FILE_BYTES } from './bounded-read.js';

/**
 * A file log publishes its latest checkpoint note in `<dir>/checkpoint`: the tree of every record,
 * including the checkpoint record that sealed it.
 */

/**
 * Creates a new file for writing, failing if anything (a file, a symbolic link) is already at `path`:
 * never writes through a link planted there.
 */
const CREATE_EXCLUSIVE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Publishes checkpoints to `<dir>/checkpoint` one at a time, never replacing a larger checkpoint with a
 * smaller one: each note goes to a temporary file with a random name, created exclusively (never through
 * a link), then renamed over `checkpoint` (which replaces a link there rather than following it).
 *
 * @example
 * ```ts
 * const publish = checkpointPublisher(dir);
 * const appender = createLogAppender({ origin, signer, storage, onCheckpoint: publish });
 * ```
 * @internal
 */
export function checkpointPublisher(dir: string): (note: string) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let published = -1;
  return (note: string) => {
    const size = Number(note.split('\n')[1]);
    chain = chain.then(async () => {
      if (size <= published) return;
      const tmp = join(dir, `checkpoint.${randomBytes(12).toString('hex')}.tmp`);
      const file = await open(tmp, CREATE_EXCLUSIVE, 0o600);
      try {
        try {
          await file.writeFile(note);
        } finally {
          await file.close();
        }
        await rename(tmp, join(dir, 'checkpoint'));
      } catch (error) {
        await unlink(tmp).catch(() => undefined);
        throw error;
      }
      published = size;
    });
    return chain;
  };
}

/**
 * The note in `<dir>/checkpoint`, or `undefined` when the log publishes none. Read only from a regular
 * file, with a bound: anything else there (a link, a device, a huge file) throws
 * `WRIT_AUDIT_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const published = await readPublishedCheckpoint('.writ/audit');
 * ```
 * @internal
 */
export function readPublishedCheckpoint(dir: string): Promise<string | undefined> {
  return readBoundedFile(join(dir, 'checkpoint'), { maxBytes: SMALL_FILE_BYTES, regularOnly: true });
}

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A file log publishes its latest checkpoint note in `<dir>/checkpoint`: the tree of every record,
 * including the checkpoint record that sealed it.
 */

/**
 * Publishes checkpoints to `<dir>/checkpoint` one at a time (write a unique temp file, then rename), never
 * replacing a larger checkpoint with a smaller one.
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
  let n = 0;
  return (note: string) => {
    const size = Number(note.split('\n')[1]);
    chain = chain.then(async () => {
      if (size <= published) return;
      const tmp = join(dir, `checkpoint.${process.pid}.${++n}.tmp`);
      await writeFile(tmp, note, { mode: 0o600 });
      await rename(tmp, join(dir, 'checkpoint'));
      published = size;
    });
    return chain;
  };
}

/**
 * The note in `<dir>/checkpoint`, or `undefined` when the log publishes none (or it cannot be read).
 *
 * @example
 * ```ts
 * const published = await readPublishedCheckpoint('.writ/audit');
 * ```
 * @internal
 */
export function readPublishedCheckpoint(dir: string): Promise<string | undefined> {
  return readFile(join(dir, 'checkpoint'), 'utf8').catch(() => undefined);
}

import { join } from 'node:path';
import { replaceFile } from './atomic-file.js';
import { readBoundedFile, SMALL_FILE_BYTES } from './bounded-read.js';

/**
 * A file log publishes its latest checkpoint note in `<dir>/checkpoint`: the tree of every record,
 * including the checkpoint record that sealed it.
 */

/**
 * Publishes checkpoints to `<dir>/checkpoint` one at a time, never replacing a larger checkpoint with a
 * smaller one, and replacing one of the same size only with the same checkpoint carrying more signature
 * lines (its witness cosignatures): each note goes to a temporary file with a random name, created
 * exclusively (never through a link), then renamed over `checkpoint` (which replaces a link there
 * rather than following it).
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
  let publishedText = '';
  let publishedLines = 0;
  return (note: string) => {
    const size = Number(note.split('\n')[1]);
    const split = note.lastIndexOf('\n\n');
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2).split('\n').length;
    chain = chain.then(async () => {
      // the same checkpoint again only when it carries more signatures (witness cosignatures added)
      if (size < published) return;
      if (size === published && (text !== publishedText || lines <= publishedLines)) return;
      await replaceFile(dir, 'checkpoint', note);
      published = size;
      publishedText = text;
      publishedLines = lines;
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

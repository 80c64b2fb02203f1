import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Creates a new file for writing, failing if anything (a file, a symbolic link) is already at `path`:
 * never writes through a link planted there.
 */
const CREATE_EXCLUSIVE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Replaces `<dir>/<name>` with `content` atomically: the content goes to a temporary file with a random
 * name, created exclusively (`0600`, never through a link), then is renamed over `name` (which replaces
 * a link there rather than following it). With `durable`, the file is synced before the rename and the
 * directory after it, so the new content survives a crash once this resolves.
 *
 * @example
 * ```ts
 * await replaceFile(stateDir, 'log-1a2b.json', JSON.stringify(state), { durable: true });
 * ```
 * @internal
 */
export async function replaceFile(
  dir: string,
  name: string,
  content: string,
  options: { durable?: boolean } = {},
): Promise<void> {
  const tmp = join(dir, `${name}.${randomBytes(12).toString('hex')}.tmp`);
  const file = await open(tmp, CREATE_EXCLUSIVE, 0o600);
  try {
    try {
      await file.writeFile(content);
      if (options.durable === true) await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(dir, name));
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  if (options.durable === true) {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

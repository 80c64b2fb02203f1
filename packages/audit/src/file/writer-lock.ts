import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';

/**
 * One writer per log directory: `writer.lock` holds the writer's pid; a dead writer's lock is taken
 * over. Resolves to the release function (idempotent); a live writer's lock throws
 * `WRIT_AUDIT_UNAVAILABLE` (reason `locked`, with its pid).
 *
 * @example
 * ```ts
 * const release = await lockLogDir(dir);
 * try {
 *   // write the log
 * } finally {
 *   await release();
 * }
 * ```
 * @internal
 */
export async function lockLogDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'writer.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `the audit log in ${dir} is being written by process ${pid}`,
          {
            details: { reason: 'locked', pid },
          },
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new WritError('WRIT_AUDIT_UNAVAILABLE', `could not lock the audit log in ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

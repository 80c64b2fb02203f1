import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WritError } from '@writ/core';

/**
 * Who holds a log directory: the host (its name and boot id, `/proc/sys/kernel/random/boot_id`), the
 * process id and the process start time (`/proc/<pid>/stat`, clock ticks since boot). The three
 * together name one process on one machine, across pid reuse and reboots.
 *
 * @internal
 */
export interface LockHolder {
  readonly v: 1;
  readonly host: string;
  /** Boot id of the host's kernel; '' where there is none (not Linux). */
  readonly bootId: string;
  readonly pid: number;
  /** Start time of the process, clock ticks since boot; '' where unknown (not Linux). */
  readonly start: string;
}

/** This process, as a lock holder. */
export function currentHolder(): LockHolder {
  return { v: 1, host: hostname(), bootId: bootId(), pid: process.pid, start: startTime(process.pid) ?? '' };
}

/**
 * One writer per log directory: `writer.lock` names its holder ({@link LockHolder}). A lock is taken over
 * only when it is stale and was taken on this host: its process is gone, its pid now belongs to another
 * process (another start time, e.g. a restarted container whose writer has the same pid again), or the
 * host rebooted since (another boot id). A live writer's lock throws `WRIT_AUDIT_UNAVAILABLE` (reason
 * `locked`, with its pid); a lock taken on another host (a shared volume) is never taken over, since
 * whether that writer lives cannot be known from here (reason `locked_elsewhere`: remove `writer.lock`
 * by hand once that host's writer is stopped). Resolves to the release function (idempotent).
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
  const me = currentHolder();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = parseLock(await readFile(file, 'utf8').catch(() => ''));
      const refusal = holder === undefined ? undefined : refuse(dir, holder, me);
      if (refusal !== undefined) throw refusal;
      await unlink(file).catch(() => undefined);
    }
  }
  throw new WritError('WRIT_AUDIT_UNAVAILABLE', `could not lock the audit log in ${dir}`);
}

/** Why the lock of `holder` may not be taken over by `me`, or undefined when it is stale. */
function refuse(
  dir: string,
  holder: Partial<LockHolder> & { pid: number },
  me: LockHolder,
): WritError | undefined {
  if (holder.v === 1 && holder.host !== me.host) {
    return new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      `the audit log in ${dir} is locked by process ${holder.pid} on host ${holder.host}; a lock of another host is never taken over: remove ${join(dir, 'writer.lock')} once that writer is stopped`,
      { details: { reason: 'locked_elsewhere', pid: holder.pid, host: holder.host } },
    );
  }
  if (holder.v === 1 && holder.bootId !== '' && me.bootId !== '' && holder.bootId !== me.bootId)
    return undefined;
  if (!isAlive(holder.pid)) return undefined;
  if (holder.v === 1 && holder.start !== '') {
    const start = startTime(holder.pid);
    if (start !== undefined && start !== holder.start) return undefined; // the pid was reused
  }
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log in ${dir} is being written by process ${holder.pid}`,
    {
      details: { reason: 'locked', pid: holder.pid },
    },
  );
}

/** A lock file's holder: JSON ({@link LockHolder}) or, from older versions, a bare pid. */
function parseLock(text: string): (Partial<LockHolder> & { pid: number }) | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const parsed = JSON.parse(trimmed) as Partial<LockHolder>;
    if (
      parsed.v === 1 &&
      typeof parsed.host === 'string' &&
      typeof parsed.bootId === 'string' &&
      typeof parsed.start === 'string' &&
      Number.isInteger(parsed.pid) &&
      (parsed.pid as number) > 0
    ) {
      return parsed as LockHolder;
    }
  } catch {
    // not a lock: an empty or torn file (a writer that died while taking it)
  }
  return undefined;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Field 22 of `/proc/<pid>/stat` (start time, clock ticks since boot); undefined off Linux or when gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

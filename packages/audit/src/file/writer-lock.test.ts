import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { currentHolder, lockLogDir } from './writer-lock.js';

let dir: string;
useTempDir('writ-lock-', (path) => {
  dir = path;
});

const lockFile = () => join(dir, 'writer.lock');
const holderOf = async () => JSON.parse(await readFile(lockFile(), 'utf8')) as Record<string, unknown>;

describe('the writer lock', () => {
  it('admits one writer: a second is refused naming the live writer, until the first releases', async () => {
    const release = await lockLogDir(dir);
    expect(await holderOf()).toEqual({
      v: 1,
      host: hostname(),
      bootId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      pid: process.pid,
      start: expect.stringMatching(/^\d+$/),
    });
    const error = await lockLogDir(dir).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toEqual({ reason: 'locked', pid: process.pid });
    await release();
    await release(); // idempotent
    await expect(access(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await lockLogDir(dir);
    await again();
  });

  it('takes over the lock of a writer that is gone', async () => {
    // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it
    await writeFile(lockFile(), JSON.stringify({ ...currentHolder(), pid: 4_194_305 }));
    const release = await lockLogDir(dir);
    expect(await holderOf()).toEqual(currentHolder());
    await release();
    // and a lock of an older version (a bare pid)
    await writeFile(lockFile(), String(4_194_305));
    await (await lockLogDir(dir))();
  });

  it('takes over its own stale lock after a container restart: same host, same pid, another process start time', async () => {
    await writeFile(lockFile(), JSON.stringify({ ...currentHolder(), start: '1' }));
    const release = await lockLogDir(dir);
    expect(await holderOf()).toEqual(currentHolder());
    await release();
  });

  it('takes over a lock whose pid now belongs to another live process, and one taken before the host rebooted', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const pid = other.pid ?? 0;
      // the live process with that pid started at another time than the lock says
      await writeFile(lockFile(), JSON.stringify({ ...currentHolder(), pid, start: '1' }));
      await (await lockLogDir(dir))();
      // the same pid and start time, but another boot of this host
      await writeFile(
        lockFile(),
        JSON.stringify({ ...currentHolder(), bootId: '00000000-0000-0000-0000-000000000000' }),
      );
      await (await lockLogDir(dir))();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('never takes over a lock taken on another host (a shared volume), even when that pid is not running here', async () => {
    const foreign = { v: 1, host: 'other-host', bootId: '1b2c', pid: 4_194_305, start: '42' };
    await writeFile(lockFile(), JSON.stringify(foreign));
    const error = await lockLogDir(dir).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toEqual({
      reason: 'locked_elsewhere',
      pid: 4_194_305,
      host: 'other-host',
    });
    expect((error as WritError).message).toContain('other-host');
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toEqual(foreign); // left as it was
  });
});

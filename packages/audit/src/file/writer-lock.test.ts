import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { lockLogDir } from './writer-lock.js';

let dir: string;
useTempDir('writ-lock-', (path) => {
  dir = path;
});

describe('the writer lock', () => {
  it('admits one writer: a second is refused naming the live writer, until the first releases', async () => {
    const release = await lockLogDir(dir);
    expect(await readFile(join(dir, 'writer.lock'), 'utf8')).toBe(String(process.pid));
    const error = await lockLogDir(dir).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toEqual({ reason: 'locked', pid: process.pid });
    await release();
    await release(); // idempotent
    await expect(access(join(dir, 'writer.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await lockLogDir(dir);
    await again();
  });

  it('takes over the lock of a writer that is gone', async () => {
    // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it
    await writeFile(join(dir, 'writer.lock'), String(4_194_305));
    const release = await lockLogDir(dir);
    expect(await readFile(join(dir, 'writer.lock'), 'utf8')).toBe(String(process.pid));
    await release();
  });
});

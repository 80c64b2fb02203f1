import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { readBoundedFile } from './bounded-read.js';

let dir: string;
useTempDir('writ-bounded-read-', (path) => {
  dir = path;
});

describe('reading a small file with a bound', () => {
  it('reads a regular file, and gives undefined for a missing one', async () => {
    await writeFile(join(dir, 'note'), 'hello\n');
    expect(await readBoundedFile(join(dir, 'note'), { maxBytes: 64, regularOnly: true })).toBe('hello\n');
    expect(await readBoundedFile(join(dir, 'none'), { maxBytes: 64, regularOnly: true })).toBeUndefined();
  });

  it('refuses a link or a device where only a regular file will do, naming what it is', async () => {
    await writeFile(join(dir, 'real'), 'x');
    await symlink(join(dir, 'real'), join(dir, 'link'));
    await expect(
      readBoundedFile(join(dir, 'link'), { maxBytes: 64, regularOnly: true }),
    ).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      message: `${join(dir, 'link')} is not a regular file (a symbolic link): refusing to read it`,
      details: { reason: 'not_a_file', path: join(dir, 'link') },
    });
    await expect(readBoundedFile('/dev/zero', { maxBytes: 64, regularOnly: true })).rejects.toMatchObject({
      message: '/dev/zero is not a regular file (a character device): refusing to read it',
    });
    await mkdir(join(dir, 'sub'));
    await expect(
      readBoundedFile(join(dir, 'sub'), { maxBytes: 64, regularOnly: false }),
    ).rejects.toMatchObject({
      details: { reason: 'not_a_file' },
    });
    // a path the user names may be a link
    expect(await readBoundedFile(join(dir, 'link'), { maxBytes: 64, regularOnly: false })).toBe('x');
  });

  it('stops at the bound: an endless device or a large file is an error, not an allocation', async () => {
    await expect(readBoundedFile('/dev/zero', { maxBytes: 1024, regularOnly: false })).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      message: '/dev/zero is larger than 1024 bytes: refusing to read it',
      details: { reason: 'too_large' },
    });
    await writeFile(join(dir, 'big'), 'y'.repeat(1025));
    await expect(
      readBoundedFile(join(dir, 'big'), { maxBytes: 1024, regularOnly: true }),
    ).rejects.toMatchObject({
      details: { reason: 'too_large' },
    });
    await writeFile(join(dir, 'exact'), 'y'.repeat(1024));
    expect(await readBoundedFile(join(dir, 'exact'), { maxBytes: 1024, regularOnly: true })).toHaveLength(
      1024,
    );
  });
});

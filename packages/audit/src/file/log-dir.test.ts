import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { checkLogDir } from './log-dir.js';

let dir: string;
useTempDir('writ-log-dir-', (path) => {
  dir = path;
});

describe('the log directory', () => {
  it('is refused when other users can write to it, sticky or not', async () => {
    for (const mode of [0o777, 0o1777, 0o702]) {
      const loose = join(dir, mode.toString(8));
      await mkdir(loose);
      await chmod(loose, mode);
      await expect(checkLogDir(loose)).rejects.toMatchObject({
        code: 'WRIT_AUDIT_UNAVAILABLE',
        message: `the audit log directory ${loose} is writable by other users (mode ${mode.toString(8)}): anyone could plant or replace its files; run chmod o-w on it and check what it holds`,
        details: { reason: 'dir_permissions', dir: loose, mode },
      });
    }
  });

  it('is accepted when only its owner, or its owner and group, can write to it', async () => {
    for (const mode of [0o700, 0o750, 0o770, 0o2775]) {
      const tight = join(dir, mode.toString(8));
      await mkdir(tight);
      await chmod(tight, mode);
      await expect(checkLogDir(tight)).resolves.toBeUndefined();
    }
  });
});

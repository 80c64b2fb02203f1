import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { checkpointPublisher, readPublishedCheckpoint } from './checkpoint-file.js';

let dir: string;
useTempDir('writ-checkpoint-file-', (path) => {
  dir = path;
});

const note = (size: number) => `writ/audit/x\n${size}\nroot\n\n— writ/audit/x sig\n`;

describe('the published checkpoint file', () => {
  it('is absent until the first checkpoint, then holds the latest note', async () => {
    expect(await readPublishedCheckpoint(dir)).toBeUndefined();
    const publish = checkpointPublisher(dir);
    await publish(note(3));
    expect(await readPublishedCheckpoint(dir)).toBe(note(3));
    await publish(note(7));
    expect(await readFile(join(dir, 'checkpoint'), 'utf8')).toBe(note(7));
  });

  it('never goes back to a smaller tree, even when notes arrive out of order, and leaves no temp file', async () => {
    const publish = checkpointPublisher(dir);
    await Promise.all([publish(note(9)), publish(note(4)), publish(note(9))]);
    expect(await readPublishedCheckpoint(dir)).toBe(note(9));
    await publish(note(5));
    expect(await readPublishedCheckpoint(dir)).toBe(note(9));
    expect(await readdir(dir)).toEqual(['checkpoint']);
  });

  it('never writes through a link: not at a temporary name, not at the published name', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'precious');
    const logDir = join(dir, 'log');
    await mkdir(logDir);
    // a link planted at the published name is replaced, not followed
    await symlink(victim, join(logDir, 'checkpoint'));
    const publish = checkpointPublisher(logDir);
    await publish(note(2));
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await lstat(join(logDir, 'checkpoint'))).isFile()).toBe(true);
    expect(await readPublishedCheckpoint(logDir)).toBe(note(2));
    // temporary names are random: nothing to plant a link at ahead of time
    expect(await readdir(logDir)).toEqual(['checkpoint']);
  });

  it('is read only from a regular file: a link there is refused, not followed', async () => {
    await writeFile(join(dir, 'elsewhere'), note(4));
    await symlink(join(dir, 'elsewhere'), join(dir, 'checkpoint'));
    await expect(readPublishedCheckpoint(dir)).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'not_a_file' },
    });
  });
});

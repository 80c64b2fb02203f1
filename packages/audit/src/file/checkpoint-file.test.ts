import { readdir, readFile } from 'node:fs/promises';
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
});

import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__support__/log.js';
import { leafHash } from '../merkle/hashing.js';
import { SegmentStorage } from './segment-storage.js';

let dir: string;
useTempDir('writ-segments-', (path) => {
  dir = path;
});

const encoded = (lines: string[]) =>
  lines.map((line) => {
    const bytes = Buffer.from(line, 'utf8');
    return { bytes, leafHash: leafHash(bytes).toString('hex') };
  });

describe('segment storage', () => {
  it('appends lines, from text or from their encoded bytes alike, each ending in a newline', async () => {
    const storage = await SegmentStorage.open(dir, 0, undefined, 1 << 20);
    await storage.write(['{"a":1}', '{"b":"é"}'], { sync: true });
    const more = ['{"c":2}', '{"d":"ü"}'];
    await storage.write(more, { sync: false, encoded: encoded(more) });
    await storage.sync();
    await storage.close();
    expect(await readFile(join(dir, '000000000000.jsonl'), 'utf8')).toBe(
      '{"a":1}\n{"b":"é"}\n{"c":2}\n{"d":"ü"}\n',
    );
  });

  it('starts a segment named by its first index once the current one has grown past the limit', async () => {
    const line = 'x'.repeat(600);
    const storage = await SegmentStorage.open(dir, 0, undefined, 1024);
    for (let i = 0; i < 5; i++) await storage.write([line], { sync: false });
    await storage.close();
    expect((await readdir(dir)).sort()).toEqual([
      '000000000000.jsonl',
      '000000000002.jsonl',
      '000000000004.jsonl',
    ]);
    const reopened = await SegmentStorage.open(dir, 5, join(dir, '000000000004.jsonl'), 1024);
    await reopened.write([line], { sync: true });
    await reopened.close();
    expect((await readFile(join(dir, '000000000004.jsonl'), 'utf8')).split('\n')).toHaveLength(3);
  });

  it('never appends through a link planted at a segment name', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'precious');
    await symlink(victim, join(dir, '000000000000.jsonl'));
    await expect(SegmentStorage.open(dir, 0, undefined, 1024)).rejects.toMatchObject({ code: 'ELOOP' });
    // and at the name of the segment a rotation starts
    await symlink(victim, join(dir, '000000000001.jsonl'));
    const storage = await SegmentStorage.open(dir, 0, join(dir, 'real.jsonl'), 5);
    await storage.write(['{"a":1}'], { sync: false });
    await expect(storage.write(['{"b":2}'], { sync: false })).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });
});

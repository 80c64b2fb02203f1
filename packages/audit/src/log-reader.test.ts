import { appendFile, mkdir, readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLog, useTempDir } from './__support__/log.js';
import { readChunks, readLines, type StoredLine } from './log-reader.js';

let dir: string;
useTempDir('writ-log-reader-', (path) => {
  dir = path;
});

async function all(source: AsyncIterable<StoredLine>): Promise<StoredLine[]> {
  const out: StoredLine[] = [];
  for await (const line of source) out.push(line);
  return out;
}

const segmentOf = async (logDir: string) =>
  join(logDir, (await readdir(logDir)).filter((n) => n.endsWith('.jsonl')).sort()[0] as string);

describe('reading a log as stored', () => {
  it('yields every line of every segment, in order, with its segment and offset', async () => {
    const sink = await buildLog(dir, 40, { maxSegmentBytes: 4096 });
    const lines = await all(readLines(sink.dir));
    expect(lines).toHaveLength(41);
    expect(new Set(lines.map((l) => l.segment)).size).toBeGreaterThan(1);
    expect(lines.every((l) => l.complete && l.problem === undefined)).toBe(true);
    expect(lines.map((l) => JSON.parse(l.bytes.toString()).i)).toEqual([...Array(41).keys()]);
  });

  it('refuses a segment that is a symbolic link or not a regular file, and reads nothing after it', async () => {
    const sink = await buildLog(dir, 3);
    const segment = await segmentOf(sink.dir);
    await unlink(segment);
    await symlink('/dev/zero', segment);
    expect(await all(readLines(sink.dir))).toEqual([
      {
        bytes: Buffer.alloc(0),
        complete: false,
        segment,
        offset: 0,
        problem: 'segment 000000000000.jsonl is not a regular file (a symbolic link): refusing to read it',
      },
    ]);
    await unlink(segment);
    await mkdir(segment);
    const [line] = await all(readLines(sink.dir));
    expect(line?.problem).toBe(
      'segment 000000000000.jsonl is not a regular file (a directory): refusing to read it',
    );
  });

  it('ends at a line longer than the bound, after the lines before it, without reading it whole', async () => {
    const sink = await buildLog(dir, 3);
    const segment = await segmentOf(sink.dir);
    await appendFile(segment, Buffer.alloc(3 << 20, 0x61));
    const lines = await all(readLines(sink.dir, { maxRecordBytes: 1 << 20 }));
    expect(lines.slice(0, -1).map((l) => l.complete)).toEqual([true, true, true, true]);
    expect(lines.at(-1)).toMatchObject({
      complete: false,
      bytes: Buffer.alloc(0),
      problem: 'a line longer than 1048576 bytes (the bound on a record): not a Writ log record',
    });
    // the chunk that names it carries no more than the bound and one read
    let largest = 0;
    for await (const chunk of readChunks(sink.dir, [], 1 << 20))
      largest = Math.max(largest, chunk.data.length);
    expect(largest).toBeLessThanOrEqual((1 << 20) + (1 << 20) + 1);
  });

  it('reads a line longer than one read (but within the bound) whole, growing its buffer', async () => {
    const logDir = join(dir, 'long');
    await mkdir(logDir);
    const long = `{"x":"${'b'.repeat(5 << 20)}"}`;
    await writeFile(join(logDir, '000000000000.jsonl'), `{"a":1}\n${long}\n{"c":3}\n`);
    const lines = await all(readLines(logDir));
    expect(lines.map((l) => l.bytes.length)).toEqual([7, long.length, 7]);
    expect(lines[1]?.bytes.toString()).toBe(long);
  });
});

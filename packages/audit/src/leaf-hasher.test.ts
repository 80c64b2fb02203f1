// The workers read byte ranges of a segment, hash their lines and vouch for envelopes so that the calling
// thread can skip reading them: a worker must vouch for a line exactly when envelope-prefix.ts's reading
// takes it for a well-formed record, not a checkpoint, chained to the line before it; and the ranges of a
// file must hand out each of its lines exactly once, whole, wherever the cuts fall.
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leafHash, rootOf } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLog, tempDir } from './__support__/log.js';
import { follows, peek } from './envelope-prefix.js';
import { createLeafHasher, type HashedChunk } from './leaf-hasher.js';

let root: string;
let lines: string[];
beforeAll(async () => {
  root = await tempDir('writ-hasher-');
  const sink = await buildLog(join(root, 'log'), 300, { checkpointEvery: 100 });
  lines = (await readFile(join(sink.dir, '000000000000.jsonl'), 'utf8')).split('\n').slice(0, -1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Hashes `texts`, one per line, written to a file, in ranges cut at `cuts` (byte offsets), on 2 workers. */
async function hashFile(texts: string[], cuts: number[] = [], tail = ''): Promise<HashedChunk[]> {
  const path = join(root, `lines-${++files}.jsonl`);
  const content = `${texts.map((t) => `${t}\n`).join('')}${tail}`;
  await writeFile(path, content);
  const file = await open(path, 'r');
  const hasher = createLeafHasher(2);
  try {
    const bounds = [0, ...cuts, Buffer.byteLength(content)];
    return await Promise.all(
      bounds.slice(0, -1).map((start, k) =>
        hasher.hash({
          segment: path,
          fd: file.fd,
          start,
          end: bounds[k + 1] as number,
          toEof: k === bounds.length - 2,
          maxRecordBytes: 1 << 20,
        }),
      ),
    );
  } finally {
    await hasher.close();
    await file.close();
  }
}
let files = 0;

/** The lines of hashed ranges, as text. */
const linesOf = (hashed: HashedChunk[]) =>
  hashed.flatMap(({ chunk }) =>
    Array.from({ length: chunk.lines.length / 2 }, (_, k) =>
      chunk.data.subarray(chunk.lines[2 * k], chunk.lines[2 * k + 1]).toString(),
    ),
  );

/** Each byte of the envelope of `line` (and 20 bytes past it) flipped, replaced, preceded or dropped. */
function* edits(line: string): Generator<string> {
  const end = line.indexOf('"r":{') + 25;
  for (let at = 0; at < end; at++) {
    const before = line.slice(0, at);
    const after = line.slice(at + 1);
    for (const xor of [0x01, 0x20])
      yield `${before}${String.fromCharCode(line.charCodeAt(at) ^ xor)}${after}`;
    for (const c of ['0', '1', '9', 'a', 'f', 'A', 'g', '"', ',', ':', '{', '}', ' ']) {
      yield `${before}${c}${after}`;
      yield `${before}${c}${line.slice(at)}`;
    }
    yield `${before}${after}`;
  }
}

describe('the leaf hashing workers', () => {
  it('returns every leaf hash and the bytes of every line', async () => {
    const [hashed] = await hashFile(lines);
    const { chunk, leaves, indexes } = hashed as HashedChunk;
    expect(chunk.data.toString()).toBe(`${lines.join('\n')}\n`);
    lines.forEach((line, k) => {
      expect(leaves.subarray(32 * k, 32 * k + 32).equals(leafHash(Buffer.from(line)))).toBe(true);
    });
    // each line of the intact log is vouched for but the range's first and the checkpoints
    lines.forEach((line, k) => {
      const vouched = k > 0 && !line.includes('"r":{"kind":"checkpoint"');
      expect(indexes[k]).toBe(vouched ? k : -1);
    });
  });

  it('hands out every line once, whole, wherever the ranges are cut', async () => {
    const sizes = lines.map((l) => Buffer.byteLength(l) + 1);
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
    const at = starts[40] as number;
    // cuts on a line's first byte, on its line break, one byte either side, inside a line, two cuts
    // inside one line (a range in which no line starts), and at the end of the file
    const cuts = [
      at,
      at + 1,
      at + 2,
      (starts[41] as number) - 1,
      (starts[41] as number) + 5,
      (starts[41] as number) + 9,
    ];
    const total = starts.at(-1) as number;
    const hashed = await hashFile(lines, [...cuts, (starts[100] as number) - 2, total - 3]);
    expect(linesOf(hashed)).toEqual(lines);
    const leaves = Buffer.concat(hashed.map((h) => h.leaves));
    lines.forEach((line, k) => {
      expect(leaves.subarray(32 * k, 32 * k + 32).equals(leafHash(Buffer.from(line)))).toBe(true);
    });
    // a range starts its vouching afresh: its first line is left to the calling thread
    for (const h of hashed) if (h.indexes.length > 0) expect(h.indexes[0]).toBe(-1);
    expect(hashed.every((h) => h.chunk.torn === undefined && h.chunk.problem === undefined)).toBe(true);
  });

  it('reads a torn last line, and stops at a line over the bound, in the range where it starts', async () => {
    const torn = await hashFile(lines.slice(0, 20), [1000], '{"i":20,"p":"ab');
    expect(linesOf(torn)).toEqual(lines.slice(0, 20));
    expect(torn.at(-1)?.chunk.torn?.toString()).toBe('{"i":20,"p":"ab');
    const long = `{"i":3,${'x'.repeat(3 << 20)}}}`;
    const texts = [...lines.slice(0, 3), long, ...lines.slice(4, 10)];
    const hashed = await hashFile(texts, [200, 2 << 20]);
    expect(linesOf(hashed).slice(0, 3)).toEqual(lines.slice(0, 3));
    const stopped = hashed.findIndex((h) => h.chunk.problem !== undefined);
    expect(hashed[stopped]?.chunk.problem).toMatch(/a line longer than 1048576 bytes/);
    expect(linesOf(hashed.slice(0, stopped + 1))).toEqual(lines.slice(0, 3));
  });

  it('vouches for a changed envelope exactly when the verifier reads it as chained', async () => {
    const cases: [string, string][] = [];
    for (const k of [1, 57, 100, 101, 250]) {
      const previous = lines[k - 1] as string;
      for (const edited of edits(lines[k] as string)) cases.push([previous, edited]);
      cases.push([previous, lines[k] as string]);
    }
    // lines that end early, an index of 17 digits, a changed end
    const line = lines[57] as string;
    const link = line.slice(12, 76);
    for (const edited of [
      '{"i":123456789012345}}',
      '{"i":1234567890,"p":"}}',
      `{"i":57,"p":"${link}}}`,
      '',
      line.replace('{"i":57,', '{"i":12345678901234567,'),
      `${line.slice(0, -1)} `,
      `${line.slice(0, -2)} }`,
    ])
      cases.push([lines[56] as string, edited]);
    {
      const { chunk, leaves, indexes } = (await hashFile(cases.flat()))[0] as HashedChunk;
      let vouched = 0;
      cases.forEach(([, edited], j) => {
        const k = 2 * j + 1;
        const bytes = chunk.data.subarray(chunk.lines[2 * k], chunk.lines[2 * k + 1]);
        const envelope = peek(bytes);
        const expected =
          envelope !== undefined && !envelope.checkpoint && follows(bytes, envelope, leaves, 32 * (k - 1))
            ? envelope.i
            : -1;
        expect(indexes[k], edited.slice(0, 100)).toBe(expected);
        if (expected !== -1) vouched++;
      });
      // the cases reach both answers: intact lines, and edits after the envelope
      expect(vouched).toBeGreaterThan(5);
    }
  });

  it('returns the aligned subtrees of vouched records numbered in sequence, with their roots', async () => {
    // record 41 renumbered (still chained to 40, so vouched, but out of sequence; 42 then breaks its link)
    const texts = [...lines];
    texts[41] = (texts[41] as string).replace('{"i":41,', '{"i":999,');
    const starts: number[] = [];
    let at = 0;
    for (const t of texts) {
      starts.push(at);
      at += Buffer.byteLength(t) + 1;
    }
    // a cut that leaves a range starting at an unaligned record (13), and one inside record 150
    const hashed = await hashFile(texts, [starts[13] as number, (starts[150] as number) + 7]);
    let first = 0;
    let covered = 0;
    const inTrees = new Set<number>();
    for (const { leaves, indexes, trees, roots, chunk } of hashed) {
      const n = chunk.lines.length / 2;
      expect(trees.length % 2).toBe(0);
      expect(roots.length).toBe(16 * trees.length);
      for (let t = 0; t < trees.length; t += 2) {
        const k = trees[t] as number;
        const size = 2 ** (trees[t + 1] as number);
        expect(trees[t + 1]).toBeGreaterThan(0);
        expect(k + size).toBeLessThanOrEqual(n);
        // aligned in the whole log, every record vouched and numbered in sequence
        expect((indexes[k] as number) % size).toBe(0);
        for (let j = k; j < k + size; j++) {
          expect(indexes[j]).toBe(first + j);
          inTrees.add(first + j);
        }
        const own = Array.from({ length: size }, (_, j) => leaves.subarray(32 * (k + j), 32 * (k + j + 1)));
        expect(roots.subarray(16 * t, 16 * t + 32).equals(rootOf(own))).toBe(true);
        covered += size;
      }
      first += n;
    }
    // never the first line of a range, a checkpoint, the renumbered record or the one whose link broke
    for (const index of [0, 13, 100, 200, 41, 42]) expect(inTrees.has(index), `record ${index}`).toBe(false);
    // most records go in by a subtree root (runs of vouched records split into aligned blocks)
    expect(covered).toBeGreaterThan(lines.length * 0.8);
    expect(first).toBe(lines.length);
  });
});

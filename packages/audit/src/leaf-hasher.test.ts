// The worker hashes chunks of lines and vouches for envelopes so that the calling thread can skip reading
// them: it must vouch for a line exactly when envelope-prefix.ts's reading takes it for a well-formed record,
// not a checkpoint, chained to the line before it.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { leafHash } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLog, tempDir } from './__support__/log.js';
import { follows, peek } from './envelope-prefix.js';
import { createLeafHasher } from './leaf-hasher.js';
import type { LineChunk } from './log-reader.js';

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

/** A chunk of `texts`, one per line, on a buffer of its own as `readChunks` makes them. */
function chunkOf(texts: string[]): LineChunk {
  const joined = Buffer.from(texts.map((t) => `${t}\n`).join(''));
  const data = Buffer.from(new ArrayBuffer(joined.length));
  joined.copy(data);
  const bounds: number[] = [];
  let start = 0;
  for (const t of texts) {
    const length = Buffer.byteLength(t);
    bounds.push(start, start + length);
    start += length + 1;
  }
  return { segment: 'test', data, offset: 0, lines: Int32Array.from(bounds) };
}

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

describe('the leaf hashing worker', () => {
  it('returns every leaf hash and the bytes as they were sent', async () => {
    const chunk = chunkOf(lines);
    const sent = Buffer.from(chunk.data);
    const hasher = createLeafHasher();
    try {
      const hashed = await hasher.hash(chunk);
      expect(chunk.data.length).toBe(0);
      expect(hashed.chunk.data.equals(sent)).toBe(true);
      lines.forEach((line, k) => {
        expect(hashed.leaves.subarray(32 * k, 32 * k + 32).equals(leafHash(Buffer.from(line)))).toBe(true);
      });
      // each line of the intact log is vouched for but the chunk's first and the checkpoints
      lines.forEach((line, k) => {
        const vouched = k > 0 && !line.includes('"r":{"kind":"checkpoint"');
        expect(hashed.indexes[k]).toBe(vouched ? k : -1);
      });
    } finally {
      await hasher.close();
    }
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
    const hasher = createLeafHasher();
    try {
      const { chunk, leaves, indexes } = await hasher.hash(chunkOf(cases.flat()));
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
    } finally {
      await hasher.close();
    }
  });
});

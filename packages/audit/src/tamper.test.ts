// A 10,000-record log tampered with in every way the issue lists, at random positions: each must be
// detected with the right first bad index.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import {
  createNoteSigner,
  generateNoteKeys,
  leafHash,
  rootOf,
  type VerifyLogOptions,
  type VerifyResult,
  verifyLog,
} from '@writ/audit';
import { loadOrCreateNoteSigner } from '@writ/audit/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLog, copyLog, tempDir } from './__support__/log.js';
import { signCheckpoint } from './checkpoint/signed-checkpoint.js';
import { encodeEnvelope } from './record.js';
import { verifyLogWith } from './verify/verify-log.js';

const RECORDS = 10_000;
let root: string;
let pristine: string;
let verifierKey: string;
let lines: string[];

beforeAll(async () => {
  root = await tempDir('writ-tamper-');
  // every other record appended async (encoded later, in batches): the bytes must verify all the same
  const sink = await buildLog(join(root, 'build'), RECORDS, { checkpointEvery: 1000, durability: 'mixed' });
  pristine = sink.dir;
  verifierKey = sink.verifierKey;
  lines = (await readFile(join(pristine, '000000000000.jsonl'), 'utf8')).split('\n').slice(0, -1);
  const plain = await verifyLog(pristine, { verifierKey, threads: false });
  expect(plain).toMatchObject({ ok: true });
  // the worker-thread path (used for large logs) reaches the same verdict and root
  expect(await verifyLog(pristine, { verifierKey, threads: true })).toEqual(plain);
}, 120_000);

/** Bytes per range on the small-range path: the 10,000-record log is cut into ~100 ranges. */
const RANGE = 64 << 10;

/**
 * Verifies every way (on the calling thread; read and hashed in 1 MiB ranges by worker threads; in
 * {@link RANGE} ranges by 2 workers) and requires the same verdict.
 */
async function verifyBothWays(dir: string, options: VerifyLogOptions = {}): Promise<VerifyResult> {
  const plain = await verifyLog(dir, { verifierKey, ...options, threads: false });
  expect(await verifyLog(dir, { verifierKey, ...options, threads: true })).toEqual(plain);
  const small = { workers: 2, rangeBytes: RANGE };
  expect(await verifyLogWith(dir, { verifierKey, ...options, threads: true }, small)).toEqual(plain);
  return plain;
}
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let run = 0;
async function tampered(mutate: (lines: string[]) => string): Promise<VerifyResult> {
  const dir = join(root, `case-${++run}`);
  await copyLog(pristine, dir);
  await writeFile(join(dir, '000000000000.jsonl'), mutate([...lines]));
  const result = await verifyBothWays(dir);
  await rm(dir, { recursive: true, force: true });
  return result;
}
const join_ = (ls: string[]) => `${ls.join('\n')}\n`;

describe(`tampering with a ${RECORDS.toLocaleString('en')}-record log is detected at the right index`, () => {
  test.prop([fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 40 })(
    'flip one byte anywhere',
    async (at, xor) => {
      const text = Buffer.from(join_(lines));
      const offset = at % text.length;
      text[offset] = (text[offset] as number) ^ xor;
      const expected = text.subarray(0, offset).toString('latin1').split('\n').length - 1;
      const dir = join(root, `flip-${++run}`);
      await copyLog(pristine, dir);
      await writeFile(join(dir, '000000000000.jsonl'), text);
      const result = await verifyBothWays(dir);
      await rm(dir, { recursive: true, force: true });
      expect(result.ok).toBe(false);
      expect(result.firstBadIndex, result.reason).toBe(expected);
    },
    120_000,
  );

  test.prop([fc.nat({ max: 10_009 })], { numRuns: 15 })('delete a record', async (at) => {
    const index = at % lines.length;
    const result = await tampered((ls) => join_(ls.filter((_, i) => i !== index)));
    expect(result.ok).toBe(false);
    expect(result.firstBadIndex, result.reason).toBe(Math.min(index, lines.length - 1));
  });

  // a flipped line break merges two records into one line (found by 'flip one byte anywhere', seed -1535300013)
  test.prop([fc.nat({ max: 10_007 }), fc.integer({ min: 1, max: 255 })], { numRuns: 10 })(
    'alter the line break after a record',
    async (at, xor) => {
      const index = at % (lines.length - 2);
      const result = await tampered((ls) => {
        const merged = `${ls[index]}${String.fromCharCode(10 ^ xor)}${ls[index + 1]}`;
        return join_([...ls.slice(0, index), merged, ...ls.slice(index + 2)]);
      });
      expect(result.ok).toBe(false);
      expect(result.firstBadIndex, result.reason).toBe(index);
    },
  );

  test.prop([fc.nat({ max: 10_009 }), fc.nat({ max: 10_009 })], { numRuns: 15 })(
    'reorder two records',
    async (a, b) => {
      const [x, y] = [a % lines.length, b % lines.length].sort((m, n) => m - n) as [number, number];
      fc.pre(x !== y);
      const result = await tampered((ls) => {
        [ls[x], ls[y]] = [ls[y] as string, ls[x] as string];
        return join_(ls);
      });
      expect(result.ok).toBe(false);
      expect(result.firstBadIndex, result.reason).toBe(x);
    },
  );

  test.prop([fc.nat({ max: 10_009 })], { numRuns: 15 })(
    'insert a forged record that fits the chain',
    async (at) => {
      const index = at % lines.length;
      const result = await tampered((ls) => {
        const previous = index === 0 ? '' : leafHash(Buffer.from(ls[index - 1] as string)).toString('hex');
        const forged = encodeEnvelope({ i: index, p: previous, r: JSON.parse(ls[index] as string).r });
        ls.splice(index, 0, forged.replace('"durationMs":', '"durationMs":1'));
        return join_(ls);
      });
      expect(result.ok).toBe(false);
      expect(result.firstBadIndex, result.reason).toBe(index);
    },
  );

  test.prop([fc.nat({ max: 10_009 }), fc.nat()], { numRuns: 15 })('truncate mid-line', async (at, cut) => {
    const index = at % lines.length;
    const result = await tampered((ls) => {
      const line = ls[index] as string;
      return `${ls.slice(0, index).join('\n')}${index > 0 ? '\n' : ''}${line.slice(0, 1 + (cut % (line.length - 1)))}`;
    });
    expect(result.ok).toBe(false);
    expect(result.firstBadIndex, result.reason).toBe(index);
  });

  test.prop([fc.integer({ min: 1, max: 10 })], { numRuns: 6 })(
    'forge a checkpoint with another key',
    async (nth) => {
      const positions = lines.flatMap((l, i) => (l.includes('"kind":"checkpoint"') ? [i] : []));
      const index = positions[(nth - 1) % positions.length] as number;
      const result = await tampered((ls) => {
        const envelope = JSON.parse(ls[index] as string);
        const mallory = createNoteSigner(generateNoteKeys(envelope.r.note.split('\n')[0]).signerKey);
        const forgedNote = signCheckpoint(
          {
            origin: envelope.r.note.split('\n')[0],
            size: index,
            rootHash: Buffer.alloc(32, 7),
            extensions: [],
          },
          mallory,
        );
        ls[index] = encodeEnvelope({ ...envelope, r: { ...envelope.r, note: forgedNote } });
        return join_(ls);
      });
      expect(result.ok).toBe(false);
      expect(result.firstBadIndex, result.reason).toBe(index);
    },
  );

  // these used to throw instead of naming the record
  const endsEarly = [
    () => '{"i":123456789012345}}',
    () => '{"i":1234567890,"p":"}}',
    (line: string) => `${line.slice(0, line.indexOf(',"r":{') - 1)}}}`,
  ];
  test.prop([fc.nat({ max: 10_009 }), fc.nat({ max: endsEarly.length - 1 })], { numRuns: 6 })(
    'replace a record with an envelope-shaped line that ends early',
    async (at, shape) => {
      const index = at % lines.length;
      const result = await tampered((ls) => {
        ls[index] = (endsEarly[shape] as (line: string) => string)(ls[index] as string);
        return join_(ls);
      });
      expect(result).toMatchObject({
        ok: false,
        firstBadIndex: index,
        reason: 'not a Writ log record (malformed line)',
      });
    },
  );

  test.prop([fc.nat({ max: 100 })], { numRuns: 5 })('drop whole records from the end', async (n) => {
    const keep = lines.length - 1 - n;
    const result = await tampered((ls) => join_(ls.slice(0, keep)));
    expect(result.ok).toBe(false);
    expect(result.firstBadIndex, result.reason).toBe(keep);
    expect(result.reason).toMatch(/removed/);
  });
});

/** The line with one character of its record changed (before the closing `}}`): same envelope, new hash. */
const alterRecord = (line: string) =>
  `${line.slice(0, -3)}${line.at(-3) === '2' ? '3' : '2'}${line.slice(-2)}`;
/** The line with the first hex digit of its `p` changed to another: a broken link, still well formed. */
function alterLink(line: string): string {
  const at = line.indexOf(',"p":"') + 6;
  return `${line.slice(0, at)}${line[at] === '0' ? '1' : '0'}${line.slice(at + 1)}`;
}

// Workers read the log in byte ranges (a range owns the lines that start in it) and vouch for chained
// envelopes within each; the calling thread checks the rest. A break in the chain must be judged alike
// wherever it falls against the ranges.
describe('a broken chain is judged alike on every path wherever it falls against the ranges', () => {
  /** Index of the first record of a range of the small-range path, whose previous record runs into it. */
  let boundary: number;
  /** Byte offset of each line in the segment. */
  let starts: number[];
  beforeAll(() => {
    starts = [];
    let at = 0;
    for (const line of lines) {
      starts.push(at);
      at += Buffer.byteLength(line) + 1;
    }
    // the first range boundary that falls inside a record (that record is split across two ranges)
    for (let cut = RANGE; ; cut += RANGE) {
      const first = starts.findIndex((start) => start >= cut);
      if ((starts[first] as number) > cut) {
        boundary = first;
        break;
      }
    }
  });

  const cases: [string, () => number, (line: string) => string, RegExp][] = [
    ['a record inside a range', () => boundary + 10, alterRecord, /its hash no longer matches/],
    ['the link of a record inside a range', () => boundary + 10, alterLink, /^record \d+ was altered$/],
    ['the second-last record of a range', () => boundary - 2, alterRecord, /its hash no longer matches/],
    ['a record split across two ranges', () => boundary - 1, alterRecord, /its hash no longer matches/],
    [
      'the link of a record split across two ranges',
      () => boundary - 1,
      alterLink,
      /^record \d+ was altered$/,
    ],
    ['the first record of a range', () => boundary, alterRecord, /its hash no longer matches/],
    ['the link of the first record of a range', () => boundary, alterLink, /^record \d+ was altered$/],
    ['the second-last record of the log', () => lines.length - 2, alterRecord, /its hash no longer matches/],
    ['the link of the last record of the log', () => lines.length - 1, alterLink, /^record \d+ was altered$/],
  ];
  /** A checkpoint signed with the log's own key over its first `size` records, or with another root. */
  async function givenCheckpoint(size: number, rootHash?: Buffer): Promise<string> {
    const { origin } = JSON.parse(await readFile(join(pristine, 'log.json'), 'utf8')) as { origin: string };
    const signer = await loadOrCreateNoteSigner(join(root, 'build', 'keys'), origin);
    const leaves = lines.slice(0, size).map((line) => leafHash(Buffer.from(line)));
    return signCheckpoint({ origin, size, rootHash: rootHash ?? rootOf(leaves), extensions: [] }, signer);
  }

  it('compares a given checkpoint inside a range and at a range boundary', async () => {
    for (const size of [boundary, boundary + 10]) {
      const genuine = await givenCheckpoint(size);
      expect(await verifyBothWays(pristine, { checkpoint: genuine })).toMatchObject({ ok: true });
      const forged = await givenCheckpoint(size, Buffer.alloc(32, 7));
      expect(await verifyBothWays(pristine, { checkpoint: forged })).toMatchObject({
        ok: false,
        firstBadIndex: size - 1,
        reason: `records before ${size} differ from the given checkpoint`,
      });
    }
  });

  it('cut the last range short (a torn record in it)', async () => {
    // a cut inside the last small range and inside the last 1 MiB range
    const total = (starts.at(-1) as number) + Buffer.byteLength(lines.at(-1) as string) + 1;
    const index = starts.findIndex((start) => start > total - RANGE / 2);
    const result = await tampered(
      (ls) => `${join_(ls.slice(0, index))}${(ls[index] as string).slice(0, 40)}`,
    );
    expect(result).toMatchObject({ ok: false, firstBadIndex: index });
    expect(result.reason).toMatch(/cut short/);
  });

  for (const [name, at, alter, reason] of cases) {
    it(`alter ${name}`, async () => {
      const index = at();
      const result = await tampered((ls) => {
        ls[index] = alter(ls[index] as string);
        return join_(ls);
      });
      expect(result.ok).toBe(false);
      expect(result.firstBadIndex, result.reason).toBe(index);
      expect(result.reason).toMatch(reason);
    });
  }
});

// Workers also return the roots of the complete, aligned power-of-two subtrees of vouched records in their
// range, which the calling thread appends by root instead of leaf by leaf. A tamper inside such a subtree,
// a checkpoint or a wanted root inside one, and ranges cut anywhere (their first record at any index) must
// be judged exactly as the calling thread judges them record by record.
describe('records appended by subtree roots are judged as when appended one by one', () => {
  /** An index inside an aligned block of 16 records, in the middle of a 64 KiB range, not a checkpoint. */
  const inside = () => {
    for (let x = 2_517; ; x++)
      if (x % 16 === 6 && !(lines[x] as string).includes('"kind":"checkpoint"')) return x;
  };

  it('alter a record inside an aligned subtree, and the link of one', async () => {
    for (const [alter, reason] of [
      [alterRecord, /its hash no longer matches/],
      [alterLink, /^record \d+ was altered$/],
    ] as const) {
      const index = inside();
      const result = await tampered((ls) => {
        ls[index] = alter(ls[index] as string);
        return join_(ls);
      });
      expect(result).toMatchObject({ ok: false, firstBadIndex: index });
      expect(result.reason).toMatch(reason);
    }
  });

  it('compares given checkpoints and records roots at sizes inside and at the edges of aligned subtrees', async () => {
    const a = inside() - 6;
    const sizes = [a, a + 1, a + 5, a + 8, a + 15, a + 16, a + 17, 4_096, 8_192];
    const leaves = lines.map((line) => leafHash(Buffer.from(line)));
    for (const size of sizes.slice(0, 4)) {
      const { origin } = JSON.parse(await readFile(join(pristine, 'log.json'), 'utf8')) as { origin: string };
      const signer = await loadOrCreateNoteSigner(join(root, 'build', 'keys'), origin);
      const note = (rootHash: Buffer) => signCheckpoint({ origin, size, rootHash, extensions: [] }, signer);
      const genuine = await note(rootOf(leaves.slice(0, size)));
      expect(await verifyBothWays(pristine, { checkpoint: genuine })).toMatchObject({ ok: true });
      expect(await verifyBothWays(pristine, { checkpoint: await note(Buffer.alloc(32, 7)) })).toMatchObject({
        ok: false,
        firstBadIndex: size - 1,
      });
    }
    for (const rangeBytes of [RANGE, 1 << 20]) {
      const found = new Map<number, string>();
      const verdict = await verifyLogWith(
        pristine,
        { verifierKey, threads: true },
        { workers: 2, rangeBytes, rootsAt: { sizes: new Set(sizes), found } },
      );
      expect(verdict.ok).toBe(true);
      for (const size of sizes)
        expect(found.get(size)).toBe(rootOf(leaves.slice(0, size)).toString('base64'));
    }
  });

  test.prop([fc.integer({ min: 3_000, max: 300_000 }), fc.nat({ max: RECORDS - 1 }), fc.boolean()], {
    numRuns: 12,
  })(
    'ranges of any size (their first record at any index), a record or a link altered anywhere',
    async (rangeBytes, index, link) => {
      const dir = join(root, `ranges-${++run}`);
      await copyLog(pristine, dir);
      const edited = [...lines];
      edited[index] = (link ? alterLink : alterRecord)(edited[index] as string);
      await writeFile(join(dir, '000000000000.jsonl'), join_(edited));
      for (const target of [pristine, dir]) {
        const plain = await verifyLog(target, { verifierKey, threads: false });
        const ranged = await verifyLogWith(
          target,
          { verifierKey, threads: true },
          { workers: 2, rangeBytes },
        );
        expect(ranged).toEqual(plain);
      }
      await rm(dir, { recursive: true, force: true });
    },
  );
});

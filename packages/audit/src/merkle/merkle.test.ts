import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  createFrontier,
  createPackedFrontier,
  EMPTY_ROOT,
  encodeLeaf,
  type FrontierState,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};

// Known answers of the Certificate Transparency project: the eight leaf inputs and the roots of the
// trees of size 1..8 built from them (google/certificate-transparency cpp/merkletree/merkle_tree_test.cc
// kInputs / kSHA256Roots; the same values are in transparency-dev/merkle testonly/constants.go, which
// also lists the leaf hashes and the compact-range hashes used below).
const CT_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);
const CT_EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// transparency-dev/merkle testonly NodeHashes(): level 0 (leaf hashes), level 1, level 2
const CT_LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
const CT_LEVEL1 = [
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
];
const CT_LEVEL2 = [
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];
const CT_HASHES = CT_INPUTS.map((input) => leafHash(input));

// Happy-path proofs over the same tree, from transparency-dev/merkle testdata/inclusion/*/happy-path.json
// and testdata/consistency/*/happy-path.json (base64 as published).
const INCLUSION_VECTORS = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=',
      'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
      'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=',
      'yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=',
      '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
    ],
  },
  { index: 2, size: 3, proof: ['+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU='] },
  {
    index: 1,
    size: 5,
    proof: [
      'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=',
      'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
      'vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=',
    ],
  },
];
const CONSISTENCY_VECTORS = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=',
      'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
      'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      'DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=',
      'yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=',
      '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: ['Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=', 'vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms='],
  },
  {
    oldSize: 6,
    newSize: 7,
    proof: [
      'DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=',
      'sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=',
      '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
    ],
  },
];

const ctRoot = (size: number): Buffer =>
  size === 0 ? hex(CT_EMPTY_ROOT) : hex(CT_ROOTS[size - 1] as string);
const flipped = (bytes: Uint8Array, at: number, mask = 0x01): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ mask;
  return copy;
};
const expectInvalid = (fn: () => unknown): void => {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(WritError.isInstance(caught, 'WRIT_OPTIONS_INVALID')).toBe(true);
};

describe('hashing', () => {
  it('uses RFC 6962 domain separation: 0x00 for leaves, 0x01 for nodes, SHA-256("") for the empty tree', () => {
    const data = Buffer.from('record');
    expect(leafHash(data)).toEqual(sha256(Buffer.of(0), data));
    const l = leafHash(Buffer.from('l'));
    const r = leafHash(Buffer.from('r'));
    expect(nodeHash(l, r)).toEqual(sha256(Buffer.of(1), l, r));
    expect(EMPTY_ROOT.toString('hex')).toBe(CT_EMPTY_ROOT);
    expect(rootOf([]).toString('hex')).toBe(CT_EMPTY_ROOT);
  });

  it('matches the CT leaf hashes and the roots of sizes 1..8', () => {
    expect(CT_HASHES.map((h) => h.toString('hex'))).toEqual(CT_LEAF_HASHES);
    for (let size = 1; size <= 8; size++) {
      expect(rootOf(CT_HASHES.slice(0, size)).toString('hex')).toBe(CT_ROOTS[size - 1]);
    }
  });

  it('never hands out its own buffers', () => {
    const single = rootOf([CT_HASHES[0] as Buffer]);
    single.fill(0);
    expect((CT_HASHES[0] as Buffer).toString('hex')).toBe(CT_LEAF_HASHES[0]);
    rootOf([]).fill(0);
    expect(rootOf([]).toString('hex')).toBe(CT_EMPTY_ROOT);
  });

  it('refuses entries that are not 32-byte hashes', () => {
    expectInvalid(() => rootOf([Buffer.alloc(31)]));
    expectInvalid(() => rootOf([CT_HASHES[0] as Buffer, Buffer.from('raw record bytes')]));
    expectInvalid(() => rootOf('nope' as unknown as Uint8Array[]));
  });
});

describe('frontier', () => {
  it('reproduces the CT roots and compact ranges leaf by leaf', () => {
    // compact ranges per size, as in transparency-dev/merkle testonly CompactTrees()
    const l0 = CT_LEAF_HASHES;
    const compact: string[][] = [
      [],
      [l0[0] as string],
      [CT_LEVEL1[0] as string],
      [CT_LEVEL1[0] as string, l0[2] as string],
      [CT_LEVEL2[0] as string],
      [CT_LEVEL2[0] as string, l0[4] as string],
      [CT_LEVEL2[0] as string, CT_LEVEL1[2] as string],
      [CT_LEVEL2[0] as string, CT_LEVEL1[2] as string, l0[6] as string],
      [CT_ROOTS[7] as string],
    ];
    const frontier = createFrontier();
    expect(frontier.root().toString('hex')).toBe(CT_EMPTY_ROOT);
    expect(frontier.state()).toEqual({ size: 0, hashes: [] });
    for (let i = 0; i < 8; i++) {
      expect(frontier.append(CT_HASHES[i] as Buffer)).toBe(i);
      expect(frontier.size).toBe(i + 1);
      expect(frontier.root().toString('hex')).toBe(CT_ROOTS[i]);
      expect(frontier.state()).toEqual({ size: i + 1, hashes: compact[i + 1] });
    }
  });

  it('keeps its own copy of appended hashes', () => {
    const frontier = createFrontier();
    const reused = Buffer.from(CT_HASHES[0] as Buffer);
    frontier.append(reused);
    reused.fill(7);
    expect(frontier.root().toString('hex')).toBe(CT_ROOTS[0]);
    frontier.root().fill(0);
    expect(frontier.root().toString('hex')).toBe(CT_ROOTS[0]);
  });

  it('refuses a corrupt state or a bad leaf hash', () => {
    const good = createFrontier();
    for (const h of CT_HASHES.slice(0, 7)) good.append(h);
    const state = good.state();
    expect(
      createFrontier(JSON.parse(JSON.stringify(state)) as FrontierState)
        .root()
        .toString('hex'),
    ).toBe(CT_ROOTS[6]);
    const bad: unknown[] = [
      { size: 7, hashes: state.hashes.slice(1) }, // too few hashes for the size
      { size: 8, hashes: state.hashes }, // too many
      { size: -1, hashes: [] },
      { size: 1.5, hashes: [] },
      { size: 1, hashes: ['zz'.repeat(32)] },
      { size: 1, hashes: [`${CT_LEAF_HASHES[0]}00`] },
      { size: 0, hashes: [], extra: true },
      { hashes: [] },
      null,
      'state',
    ];
    for (const input of bad) expectInvalid(() => createFrontier(input as FrontierState));
    expectInvalid(() => good.append(Buffer.alloc(33)));
    expectInvalid(() => good.append('hash' as unknown as Uint8Array));
    expect(good.size).toBe(7);
  });

  test.prop([fc.array(fc.uint8Array({ minLength: 0, maxLength: 12 }), { maxLength: 140 }), fc.nat()])(
    'root equals rootOf at every size, also after a JSON round trip of state() at any point',
    (records, cut) => {
      const hashes = records.map((r) => leafHash(r));
      const split = hashes.length === 0 ? 0 : cut % (hashes.length + 1);
      const first = createFrontier();
      for (const h of hashes.slice(0, split)) first.append(h);
      expect(first.root()).toEqual(rootOf(hashes.slice(0, split)));
      const resumed = createFrontier(JSON.parse(JSON.stringify(first.state())) as FrontierState);
      expect(resumed.size).toBe(split);
      for (let i = split; i < hashes.length; i++) {
        resumed.append(hashes[i] as Buffer);
        if (i % 17 === 0) expect(resumed.root()).toEqual(rootOf(hashes.slice(0, i + 1)));
      }
      expect(resumed.root()).toEqual(rootOf(hashes));
      expect(resumed.state().hashes.length).toBeLessThanOrEqual(8);
    },
  );
});

describe('packed frontier (bulk verification)', () => {
  it('reproduces the CT roots leaf by leaf, reading hashes at an offset', () => {
    const packed = createPackedFrontier();
    expect(packed.root().toString('hex')).toBe(CT_EMPTY_ROOT);
    const hashes = Buffer.concat([Buffer.alloc(5, 9), ...CT_HASHES]);
    for (let i = 0; i < 8; i++) {
      packed.append(hashes, 5 + 32 * i);
      expect(packed.size).toBe(i + 1);
      expect(packed.root().toString('hex')).toBe(CT_ROOTS[i]);
    }
    hashes.fill(7);
    packed.root().fill(0);
    expect(packed.root().toString('hex')).toBe(CT_ROOTS[7]);
  });

  test.prop([fc.array(fc.uint8Array({ minLength: 0, maxLength: 12 }), { maxLength: 600 })])(
    'root equals the frontier root at every size',
    (records) => {
      const packed = createPackedFrontier();
      const frontier = createFrontier();
      for (const record of records) {
        const hash = leafHash(record);
        packed.append(hash, 0);
        frontier.append(hash);
        expect(packed.root()).toEqual(frontier.root());
      }
    },
  );
});

describe('RFC 6962 §2.1.3 example tree (7 leaves)', () => {
  // The figure of §2.1.3, built node by node from the hash functions rather than from the code under
  // test: a..f are the leaves d0..d5, j is the lone leaf d6.
  const d = CT_INPUTS.slice(0, 7);
  const [a, b, c, dd, e, f, j] = d.map((input) => leafHash(input)) as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  const g = nodeHash(a, b);
  const h = nodeHash(c, dd);
  const i = nodeHash(e, f);
  const k = nodeHash(g, h);
  const l = nodeHash(i, j);
  const hash = nodeHash(k, l);
  const leaves = [a, b, c, dd, e, f, j];

  it('has the root of the figure (and the CT root of size 7)', () => {
    expect(rootOf(leaves)).toEqual(hash);
    expect(hash.toString('hex')).toBe(CT_ROOTS[6]);
  });

  it.each([
    ['d0', 0, [b, h, l]],
    ['d3', 3, [c, g, l]],
    ['d4', 4, [f, j, k]],
    ['d6', 6, [i, k]],
  ] as const)('gives the audit path of %s', (_name, index, path) => {
    const proof = inclusionProof(leaves, index, 7);
    expect(proof).toEqual(path);
    expect(verifyInclusion(leaves[index] as Buffer, index, 7, proof, hash)).toBe(true);
  });

  it.each([
    ['hash0', 3, [c, dd, g, l], nodeHash(g, c)],
    ['hash1', 4, [l], k],
    ['hash2', 6, [i, j, k], nodeHash(k, i)],
  ] as const)('gives the consistency proof from %s (size %i)', (_name, oldSize, path, oldRoot) => {
    const proof = consistencyProof(leaves, oldSize, 7);
    expect(proof).toEqual(path);
    expect(rootOf(leaves.slice(0, oldSize))).toEqual(oldRoot);
    expect(verifyConsistency(oldSize, 7, oldRoot, hash, proof)).toBe(true);
  });
});

describe('published proofs (transparency-dev/merkle testdata)', () => {
  it.each(INCLUSION_VECTORS)('inclusion of leaf $index in a tree of $size', ({ index, size, proof }) => {
    const expected = proof.map(b64);
    expect(inclusionProof(CT_HASHES, index, size)).toEqual(expected);
    const leaf = CT_HASHES[index] as Buffer;
    const root = ctRoot(size);
    expect(verifyInclusion(leaf, index, size, expected, root)).toBe(true);
    // the mutations of the published probe set, all of which must fail
    const garbage = Buffer.alloc(32, 0xab);
    const mutants: [string, () => boolean][] = [
      ['wrong leaf', () => verifyInclusion(flipped(leaf, 0), index, size, expected, root)],
      ['empty-tree root', () => verifyInclusion(leaf, index, size, expected, EMPTY_ROOT)],
      ['random root', () => verifyInclusion(leaf, index, size, expected, garbage)],
      ['index + 1', () => verifyInclusion(leaf, index + 1, size, expected, root)],
      ['index - 1', () => verifyInclusion(leaf, index - 1, size, expected, root)],
      ['index ^ 2', () => verifyInclusion(leaf, index ^ 2, size, expected, root)],
      ['size * 2', () => verifyInclusion(leaf, index, size * 2, expected, root)],
      ['size / 2', () => verifyInclusion(leaf, index, Math.floor(size / 2), expected, root)],
      ['preceding garbage', () => verifyInclusion(leaf, index, size, [garbage, ...expected], root)],
      ['trailing garbage', () => verifyInclusion(leaf, index, size, [...expected, garbage], root)],
      ['preceding root', () => verifyInclusion(leaf, index, size, [root, ...expected], root)],
      ['trailing root', () => verifyInclusion(leaf, index, size, [...expected, root], root)],
      ['empty component', () => verifyInclusion(leaf, index, size, [...expected, Buffer.alloc(0)], root)],
    ];
    if (expected.length > 0) {
      mutants.push(['removed component', () => verifyInclusion(leaf, index, size, expected.slice(1), root)]);
      mutants.push([
        'inserted component',
        () =>
          verifyInclusion(leaf, index, size, [expected[0] as Buffer, garbage, ...expected.slice(1)], root),
      ]);
      expected.forEach((_, at) => {
        mutants.push([
          `modified proof[${at}]`,
          () =>
            verifyInclusion(
              leaf,
              index,
              size,
              expected.with(at, flipped(expected[at] as Buffer, 3, 8)),
              root,
            ),
        ]);
      });
    }
    for (const [name, run] of mutants) expect([name, run()]).toEqual([name, false]);
  });

  it.each(CONSISTENCY_VECTORS)('consistency from $oldSize to $newSize', ({ oldSize, newSize, proof }) => {
    const expected = proof.map(b64);
    expect(consistencyProof(CT_HASHES, oldSize, newSize)).toEqual(expected);
    const root1 = ctRoot(oldSize);
    const root2 = ctRoot(newSize);
    expect(verifyConsistency(oldSize, newSize, root1, root2, expected)).toBe(true);
    const garbage = Buffer.alloc(32, 0xab);
    const mutants: [string, () => boolean][] = [
      ['wrong root1', () => verifyConsistency(oldSize, newSize, flipped(root1, 0), root2, expected)],
      ['wrong root2', () => verifyConsistency(oldSize, newSize, root1, flipped(root2, 31), expected)],
      ['preceding garbage', () => verifyConsistency(oldSize, newSize, root1, root2, [garbage, ...expected])],
      ['trailing garbage', () => verifyConsistency(oldSize, newSize, root1, root2, [...expected, garbage])],
      ['trailing root1', () => verifyConsistency(oldSize, newSize, root1, root2, [...expected, root1])],
      ['trailing root2', () => verifyConsistency(oldSize, newSize, root1, root2, [...expected, root2])],
      ['size1 - 1', () => verifyConsistency(oldSize - 1, newSize, root1, root2, expected)],
      ['size2 * 2', () => verifyConsistency(oldSize, newSize * 2, root1, root2, expected)],
    ];
    if (oldSize !== newSize) {
      mutants.push(
        ['swapped roots', () => verifyConsistency(oldSize, newSize, root2, root1, expected)],
        ['sizes swapped', () => verifyConsistency(newSize, oldSize, root1, root2, expected)],
        ['empty proof', () => verifyConsistency(oldSize, newSize, root1, root2, [])],
        ['truncated proof', () => verifyConsistency(oldSize, newSize, root1, root2, expected.slice(0, -1))],
        ['preceding root1', () => verifyConsistency(oldSize, newSize, root1, root2, [root1, ...expected])],
        ['preceding root2', () => verifyConsistency(oldSize, newSize, root1, root2, [root2, ...expected])],
        ['size1 + 1', () => verifyConsistency(oldSize + 1, newSize, root1, root2, expected)],
        ['size1 ^ 2', () => verifyConsistency(oldSize ^ 2, newSize, root1, root2, expected)],
        ['size2 / 2', () => verifyConsistency(oldSize, Math.floor(newSize / 2), root1, root2, expected)],
      );
      expected.forEach((_, at) => {
        mutants.push([
          `modified proof[${at}]`,
          () =>
            verifyConsistency(
              oldSize,
              newSize,
              root1,
              root2,
              expected.with(at, flipped(expected[at] as Buffer, 4, 8)),
            ),
        ]);
      });
    } else {
      mutants.push(['non-empty proof', () => verifyConsistency(oldSize, newSize, root1, root2, [root1])]);
    }
    for (const [name, run] of mutants) expect([name, run()]).toEqual([name, false]);
  });

  it('treats the empty tree as a prefix of every tree, with an empty proof only', () => {
    expect(consistencyProof(CT_HASHES, 0, 8)).toEqual([]);
    expect(consistencyProof(CT_HASHES, 0, 0)).toEqual([]);
    expect(verifyConsistency(0, 8, EMPTY_ROOT, ctRoot(8), [])).toBe(true);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, ctRoot(1), [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(0, 1, ctRoot(1), ctRoot(1), [])).toBe(false);
    expect(verifyConsistency(0, 0, ctRoot(1), ctRoot(1), [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, ctRoot(1), [])).toBe(false);
    expect(verifyInclusion(EMPTY_ROOT, 0, 0, [], EMPTY_ROOT)).toBe(false);
  });
});

describe('argument checks', () => {
  it('refuses impossible indices and sizes with WRIT_OPTIONS_INVALID', () => {
    expectInvalid(() => inclusionProof(CT_HASHES, 8, 8));
    expectInvalid(() => inclusionProof(CT_HASHES, -1, 8));
    expectInvalid(() => inclusionProof(CT_HASHES, 0.5, 8));
    expectInvalid(() => inclusionProof(CT_HASHES, 0, 9));
    expectInvalid(() => inclusionProof(CT_HASHES, 0, 0));
    expectInvalid(() => inclusionProof(CT_HASHES, Number.NaN, 8));
    expectInvalid(() => inclusionProof([Buffer.alloc(3)], 0, 1));
    expectInvalid(() => consistencyProof(CT_HASHES, 5, 4));
    expectInvalid(() => consistencyProof(CT_HASHES, 1, 9));
    expectInvalid(() => consistencyProof(CT_HASHES, -1, 4));
    expectInvalid(() => consistencyProof(CT_HASHES, 1, Number.POSITIVE_INFINITY));
    expectInvalid(() => consistencyProof([...CT_HASHES.slice(0, 3), Buffer.alloc(0)], 1, 4));
    expectInvalid(() => consistencyProof({ length: 4 } as unknown as Uint8Array[], 1, 4));
  });
});

// distinct records (each carries its position), so no leaf hash occurs twice
const leafSet = fc
  .array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 })
  .map((records) => records.map((r, i) => leafHash(Buffer.concat([Buffer.from(`${i}:`), r]))));

describe('properties', () => {
  test.prop([leafSet, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 60 })(
    'every inclusion proof verifies, and fails for any flipped byte of leaf, proof or root, or another index',
    (hashes, a, b, mask) => {
      const size = 1 + (a % hashes.length);
      const index = b % size;
      const proof = inclusionProof(hashes, index, size);
      const root = rootOf(hashes.slice(0, size));
      const leaf = hashes[index] as Buffer;
      expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
      for (let at = 0; at < 32; at++) {
        expect(verifyInclusion(flipped(leaf, at, mask), index, size, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, flipped(root, at, mask))).toBe(false);
        for (let p = 0; p < proof.length; p++) {
          const tampered = proof.with(p, flipped(proof[p] as Buffer, at, mask));
          expect(verifyInclusion(leaf, index, size, tampered, root)).toBe(false);
        }
      }
      for (let other = 0; other < size + 2; other++) {
        if (other !== index) expect(verifyInclusion(leaf, other, size, proof, root)).toBe(false);
      }
      // a proof never verifies for another tree size unless it is that size's honest proof
      for (const otherSize of [size - 1, size + 1, size * 2, Math.floor(size / 2)]) {
        if (otherSize === size || otherSize > hashes.length || index >= otherSize) continue;
        const otherRoot = rootOf(hashes.slice(0, otherSize));
        if (verifyInclusion(leaf, index, otherSize, proof, otherRoot)) {
          expect(proof).toEqual(inclusionProof(hashes, index, otherSize));
        }
      }
    },
  );

  test.prop([leafSet, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 80 })(
    'every consistency proof verifies for oldSize <= newSize, and fails when tampered',
    (hashes, a, b, mask) => {
      const newSize = a % (hashes.length + 1);
      const oldSize = b % (newSize + 1);
      const proof = consistencyProof(hashes, oldSize, newSize);
      const oldRoot = rootOf(hashes.slice(0, oldSize));
      const newRoot = rootOf(hashes.slice(0, newSize));
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)).toBe(true);
      const at = (a + b) % 32;
      expect(verifyConsistency(oldSize, newSize, flipped(oldRoot, at, mask), newRoot, proof)).toBe(false);
      // (the empty tree is a prefix of every tree: from size 0 nothing binds the new root)
      if (oldSize > 0) {
        expect(verifyConsistency(oldSize, newSize, oldRoot, flipped(newRoot, at, mask), proof)).toBe(false);
      }
      for (let p = 0; p < proof.length; p++) {
        const tampered = proof.with(p, flipped(proof[p] as Buffer, at, mask));
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, tampered)).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.toSpliced(p, 1))).toBe(false);
      }
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, newRoot])).toBe(false);
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof])).toBe(false);
      // another old tree of the same log never passes with this proof unless it is that tree's honest proof
      for (let other = 0; other <= newSize; other++) {
        if (other === oldSize) continue;
        const otherRoot = rootOf(hashes.slice(0, other));
        if (verifyConsistency(other, newSize, otherRoot, newRoot, proof)) {
          expect(proof).toEqual(consistencyProof(hashes, other, newSize));
        }
      }
    },
  );

  test.prop([
    fc.anything(),
    fc.oneof(fc.integer(), fc.double(), fc.anything()),
    fc.oneof(fc.integer(), fc.double(), fc.anything()),
    fc.oneof(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 70 }), fc.anything()),
    fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.anything()),
  ])('hostile inputs never throw from the verifiers', (leaf, x, y, proof, root) => {
    const asHash = (v: unknown) => v as Uint8Array;
    const asProof = (v: unknown) => v as Uint8Array[];
    expect(typeof verifyInclusion(asHash(leaf), x as number, y as number, asProof(proof), asHash(root))).toBe(
      'boolean',
    );
    expect(
      typeof verifyConsistency(x as number, y as number, asHash(leaf), asHash(root), asProof(proof)),
    ).toBe('boolean');
  });

  test.prop([
    fc.nat({ max: 1 << 20 }),
    fc.nat({ max: 1 << 20 }),
    fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 64 }),
  ])('random 32-byte proofs do not verify (and do not throw)', (x, y, proof) => {
    const leaf = Buffer.alloc(32, 1);
    const root = Buffer.alloc(32, 2);
    expect(verifyInclusion(leaf, Math.min(x, y), Math.max(x, y) + 1, proof, root)).toBe(false);
    expect(verifyConsistency(Math.min(x, y) + 1, Math.max(x, y) + 1, leaf, root, proof)).toBe(false);
  });
});

describe('encodeLeaf (how the appender encodes each line once)', () => {
  test.prop([fc.string({ unit: 'binary', maxLength: 3000 })], { numRuns: 300 })(
    'gives the UTF-8 bytes of the line and their RFC 6962 leaf hash',
    (line) => {
      const { bytes, hash, hex } = encodeLeaf(line);
      const expected = Buffer.from(line, 'utf8');
      expect(bytes.equals(expected)).toBe(true);
      expect(hash.equals(sha256(Buffer.of(0), expected))).toBe(true);
      expect(hex).toBe(hash.toString('hex'));
      expect(hash.equals(leafHash(expected))).toBe(true);
    },
  );
});

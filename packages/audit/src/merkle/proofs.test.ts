import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  b64,
  CT_HASHES,
  CT_INPUTS,
  CT_ROOTS,
  ctRoot,
  expectInvalid,
  flipped,
} from './__support__/vectors.js';
import { EMPTY_ROOT, leafHash, nodeHash, rootOf } from './hashing.js';
import { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from './proofs.js';

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

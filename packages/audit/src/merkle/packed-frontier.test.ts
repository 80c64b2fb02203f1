import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CT_EMPTY_ROOT, CT_HASHES, CT_ROOTS } from './__support__/vectors.js';
import { createFrontier } from './frontier.js';
import { leafHash, rangeRoot } from './hashing.js';
import { createPackedFrontier } from './packed-frontier.js';

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

  test.prop([fc.array(fc.nat({ max: 6 }), { maxLength: 40 })])(
    'a perfect subtree appended by its root gives the same roots as its leaves one by one',
    (heights) => {
      const packed = createPackedFrontier();
      const frontier = createFrontier();
      const leaves: Buffer[] = [];
      for (const wanted of heights) {
        // the largest aligned subtree of at most 2^wanted leaves at this size
        let height = 0;
        while (height < wanted && packed.size % 2 ** (height + 1) === 0) height++;
        const from = leaves.length;
        for (let j = 0; j < 2 ** height; j++) leaves.push(leafHash(Buffer.from(`${from + j}`)));
        const root = Buffer.concat([Buffer.alloc(3), rangeRoot(leaves, from, leaves.length)]);
        packed.appendSubtree(root, 3, height);
        for (let j = from; j < leaves.length; j++) frontier.append(leaves[j] as Buffer);
        expect(packed.size).toBe(leaves.length);
        expect(packed.root()).toEqual(frontier.root());
      }
    },
  );

  it('refuses a subtree that is not aligned with the tree so far', () => {
    const packed = createPackedFrontier();
    packed.append(leafHash(Buffer.from('a')), 0);
    expect(() => packed.appendSubtree(Buffer.alloc(32), 0, 1)).toThrow(RangeError);
    expect(packed.size).toBe(1);
  });
});

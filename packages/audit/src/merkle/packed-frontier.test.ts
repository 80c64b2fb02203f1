import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CT_EMPTY_ROOT, CT_HASHES, CT_ROOTS } from './__support__/vectors.js';
import { createFrontier } from './frontier.js';
import { leafHash } from './hashing.js';
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
});

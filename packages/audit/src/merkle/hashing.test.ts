import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  CT_EMPTY_ROOT,
  CT_HASHES,
  CT_LEAF_HASHES,
  CT_ROOTS,
  expectInvalid,
  sha256,
} from './__support__/vectors.js';
import {
  EMPTY_ROOT,
  encodeLeaf,
  equalHashes,
  isHash,
  leafHash,
  nodeDigestBinary,
  nodeHash,
  rootOf,
} from './hashing.js';

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

  it('hashes a prepared node input in place as nodeHash does (the packed frontier path)', () => {
    const [l, r] = [CT_HASHES[0] as Buffer, CT_HASHES[1] as Buffer];
    const input = Buffer.concat([Buffer.of(1), l, r]);
    expect(Buffer.from(nodeDigestBinary(input), 'latin1')).toEqual(nodeHash(l, r));
    expect(Buffer.from(nodeDigestBinary(input), 'latin1').toString('hex')).toBe(CT_ROOTS[1]);
  });

  it('tells 32-byte hashes apart and compares them', () => {
    expect(isHash(CT_HASHES[0])).toBe(true);
    for (const bad of [Buffer.alloc(31), Buffer.alloc(33), 'a'.repeat(32), null, [...Buffer.alloc(32)]]) {
      expect(isHash(bad)).toBe(false);
    }
    expect(equalHashes(CT_HASHES[2] as Buffer, Buffer.from(CT_HASHES[2] as Buffer))).toBe(true);
    const other = Buffer.from(CT_HASHES[2] as Buffer);
    other[31] = (other[31] as number) ^ 1;
    expect(equalHashes(CT_HASHES[2] as Buffer, other)).toBe(false);
  });

  it('refuses entries that are not 32-byte hashes', () => {
    expectInvalid(() => rootOf([Buffer.alloc(31)]));
    expectInvalid(() => rootOf([CT_HASHES[0] as Buffer, Buffer.from('raw record bytes')]));
    expectInvalid(() => rootOf('nope' as unknown as Uint8Array[]));
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

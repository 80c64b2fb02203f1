import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  CT_EMPTY_ROOT,
  CT_HASHES,
  CT_LEAF_HASHES,
  CT_LEVEL1,
  CT_LEVEL2,
  CT_ROOTS,
  expectInvalid,
} from './__support__/vectors.js';
import { createFrontier, type FrontierState } from './frontier.js';
import { leafHash, rootOf } from './hashing.js';

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

// jsonSnapshot: what a log fixes on the caller's path and encodes later. Its copy must encode to the
// same bytes as the original, and nothing done to the original afterwards may reach it.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonSnapshot } from './canonical-json.js';

const values = fc.oneof(
  fc.jsonValue(),
  fc
    .anything({
      withDate: true,
      withNullPrototype: true,
      withSparseArray: true,
      withObjectString: false,
      values: [
        fc.string(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constant(undefined),
      ],
    })
    .filter((v) => v !== undefined),
);

describe('jsonSnapshot', () => {
  test.prop([values], { numRuns: 500 })('encodes to the bytes of the original', (value) => {
    expect(canonicalJson(jsonSnapshot(value))).toBe(canonicalJson(value));
  });

  test.prop([fc.jsonValue()], { numRuns: 300 })('shares no object with the original', (value) => {
    const copy = jsonSnapshot(value);
    const originals = new Set<unknown>();
    const collect = (v: unknown) => {
      if (typeof v !== 'object' || v === null) return;
      originals.add(v);
      for (const member of Object.values(v)) collect(member);
    };
    collect(value);
    const check = (v: unknown) => {
      if (typeof v !== 'object' || v === null) return;
      expect(originals.has(v)).toBe(false);
      for (const member of Object.values(v)) check(member);
    };
    check(copy);
  });

  it('reads getters and toJSON once, now: later changes do not reach the copy', () => {
    let reads = 0;
    const nested = { id: '42', tags: ['a'] };
    const hostile = {
      get resource() {
        reads++;
        return reads === 1 ? nested : { id: 'forged' };
      },
      when: { toJSON: () => (reads === 1 ? 'first' : 'second') },
    };
    const copy = jsonSnapshot(hostile);
    nested.id = '43';
    nested.tags.push('b');
    expect(canonicalJson(copy)).toBe('{"resource":{"id":"42","tags":["a"]},"when":"first"}');
    expect(canonicalJson(copy)).toBe(canonicalJson(copy));
  });

  it('keeps an own "__proto__" key as data, never as the prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"admin":true},"a":1}') as Record<string, unknown>;
    const copy = jsonSnapshot(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(canonicalJson(copy)).toBe('{"__proto__":{"admin":true},"a":1}');
  });

  it('refuses what canonicalJson refuses, and passes on what a getter throws', () => {
    expect(() => jsonSnapshot({ a: Number.NaN })).toThrow(TypeError);
    expect(() => jsonSnapshot({ a: [1n] })).toThrow(/BigInt/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonSnapshot(cyclic)).toThrow(/256 levels/);
    const throwing = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('hostile getter');
      },
    });
    expect(() => jsonSnapshot(throwing)).toThrow('hostile getter');
  });
});

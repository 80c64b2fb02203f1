// jsonSnapshot: what a log fixes on the caller's path and encodes later. Its copy must encode to the
// same bytes as the original, and nothing done to the original afterwards may reach it.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { canonicalJson, fixedJson, jsonSnapshot } from './canonical-json.js';

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

  // the copy said to be in canonical order is written natively (the log appender's path for records)
  const sortedDeep = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortedDeep);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])]),
    );
  };
  test.prop([fc.oneof(values, values.map(sortedDeep))], { numRuns: 500 })(
    'a copy said to be in canonical order is: JSON.stringify of it is the canonical form',
    (value) => {
      const fixed = fixedJson(value);
      if (fixed.inOrder) expect(JSON.stringify(fixed.value)).toBe(canonicalJson(value));
    },
  );

  it('says in order only when it is (integer-like keys come first in JSON.stringify)', () => {
    expect(fixedJson({ a: 1, b: { c: [{ d: 1, e: 2 }] } }).inOrder).toBe(true);
    expect(fixedJson({ b: 1, a: 2 }).inOrder).toBe(false);
    expect(fixedJson({ '10': 'a', '9': 'b' }).inOrder).toBe(false);
    expect(fixedJson({ a: { toJSON: () => ({ z: 1, y: 2 }) } }).inOrder).toBe(false);
    const nested = {
      get inner() {
        return fixedJson({ b: 1, a: 2 }).inOrder ? 'yes' : 'no';
      },
      z: 1,
    };
    expect(fixedJson({ a: nested }).inOrder).toBe(true); // a snapshot taken inside a getter leaves this one's answer alone
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

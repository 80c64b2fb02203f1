// jsonSnapshot: what a log fixes on the caller's path and encodes later. Its copy must encode to the
// same bytes as the original, and nothing done to the original afterwards may reach it.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { jsonishValue } from './__support__/arbitraries.js';
import { canonicalJson, fixedJson, fixedValue, jsonSnapshot } from './canonical-json.js';

const values = fc.oneof(fc.jsonValue(), jsonishValue);

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

/** Freezes plain objects and arrays all the way down. */
function deepFrozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFrozen(member);
    Object.freeze(value);
  }
  return value;
}

describe('fixedValue: frozen data the runtime repeats is shared by snapshots, not copied', () => {
  it('a fixed value is its own snapshot, and encodes to the same bytes', () => {
    const chain = fixedValue(deepFrozen([{ assurance: 'verified', id: 'a', kind: 'agent', name: 'A' }]));
    const record = { chain, kind: 'outcome', n: 1 };
    const fixed = fixedJson(record);
    expect((fixed.value as typeof record).chain).toBe(chain);
    expect(fixed.inOrder).toBe(true);
    expect(JSON.stringify(fixed.value)).toBe(canonicalJson(record));
  });

  test.prop([fc.jsonValue()], { numRuns: 300 })(
    'whatever is marked, a snapshot still encodes to the bytes of the original',
    (value) => {
      const marked = fixedValue(deepFrozen(structuredClone(value)));
      const record = { a: marked, b: [marked, { c: marked }] };
      const fixed = fixedJson(record);
      expect(canonicalJson(fixed.value)).toBe(canonicalJson(record));
      if (fixed.inOrder) expect(JSON.stringify(fixed.value)).toBe(canonicalJson(record));
    },
  );

  it('anything that is not frozen plain data in canonical order is copied as before', () => {
    const getter = Object.freeze(
      Object.defineProperty({}, 'x', { get: () => 1, enumerable: true }) as Record<string, unknown>,
    );
    const cases: Record<string, unknown> = {
      'not frozen': { a: 1 },
      'shallowly frozen': Object.freeze({ a: { b: 1 } }),
      'keys out of order': deepFrozen({ b: 1, a: 2 }),
      'an undefined member': deepFrozen({ a: undefined, b: 1 }),
      'a toJSON': deepFrozen({ toJSON: () => 'x' }),
      'an accessor': getter,
      'a hole': Object.freeze(new Array(3).fill(1, 0, 1)),
      'a Date': Object.freeze(new Date(0)),
    };
    for (const [name, value] of Object.entries(cases)) {
      fixedValue(value);
      const copy = (fixedJson({ v: value }).value as { v: unknown }).v;
      expect(copy, name).not.toBe(value);
    }
    // and what cannot be encoded is refused as before
    const nan = fixedValue(deepFrozen({ a: Number.NaN }));
    expect(() => fixedJson({ v: nan })).toThrow(TypeError);
  });

  it("a toJSON added to Object.prototype later still applies to a fixed value (as canonicalJson's)", () => {
    const fixed = fixedValue(deepFrozen({ a: 1 }));
    const proto = Object.prototype as { toJSON?: unknown };
    proto.toJSON = () => 'polluted';
    try {
      expect(canonicalJson(jsonSnapshot({ fixed }))).toBe(canonicalJson({ fixed }));
    } finally {
      delete proto.toJSON;
    }
  });
});

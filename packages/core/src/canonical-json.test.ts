import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { jsonishValue } from './__support__/arbitraries.js';
import { canonicalJson, digest } from './plugin.js';

describe('canonicalJson (RFC 8785)', () => {
  it('matches the RFC 8785 §3.2.2 example (numbers, strings, literals)', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units as in RFC 8785 §3.2.3', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // read the order off the bytes (JSON.parse would put the integer-like key "1" first)
    const out = canonicalJson(input);
    const keys = [...out.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('refuses what has no JSON form and drops what JSON.stringify drops', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/);
    expect(canonicalJson({ a: undefined, b: () => 1, c: [undefined], d: new Date(0) })).toBe(
      '{"c":[null],"d":"1970-01-01T00:00:00.000Z"}',
    );
  });

  test.prop([fc.jsonValue()])(
    'is a fixed point: parse(canonical) re-canonicalises to the same bytes',
    (value) => {
      const once = canonicalJson(value);
      expect(canonicalJson(JSON.parse(once))).toBe(once);
    },
  );

  test.prop([fc.dictionary(fc.string(), fc.jsonValue())])('digest ignores key order', (record) => {
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    expect(digest(reversed)).toBe(digest(record));
  });

  // strings and keys take a fast path when nothing needs escaping: any UTF-16 input (lone surrogates,
  // control characters, quotes, backslashes) must still serialise exactly as JSON.stringify does
  test.prop([fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })])(
    'strings and keys serialise exactly as JSON.stringify (ECMAScript string serialisation)',
    (text, key) => {
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
      expect(canonicalJson({ [key]: text })).toBe(JSON.stringify({ [key]: text }));
    },
  );

  test.prop([fc.jsonValue()])('parses back to what JSON.stringify would have said', (value) => {
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  // A reference written for clarity, not speed: sort a copy, then let JSON.stringify write it. It covers
  // values that are plain data after toJSON (what records and tool arguments are).
  function reference(value: unknown): string | undefined {
    const sortCopy = (v: unknown): unknown => {
      if (typeof v !== 'object' || v === null) return v;
      const json = typeof (v as { toJSON?: unknown }).toJSON === 'function' ? (v as Date).toJSON() : v;
      if (typeof json !== 'object' || json === null) return json;
      if (Array.isArray(json)) return Array.from(json, sortCopy); // holes read as undefined
      const copy: Record<string, unknown> = {};
      const keys = Object.keys(json).sort();
      // integer-like keys would be re-ordered by the copy itself: write such objects by hand
      if (keys.some((k) => /^(0|[1-9][0-9]*)$/.test(k))) {
        return { [RAW]: keys.map((k) => [k, sortCopy((json as Record<string, unknown>)[k])]) };
      }
      // an own "__proto__" member is data, as JSON.parse makes it: define it, never assign it
      for (const k of keys)
        Object.defineProperty(copy, k, {
          value: sortCopy((json as Record<string, unknown>)[k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return copy;
    };
    const emit = (v: unknown): string | undefined => {
      if (typeof v === 'object' && v !== null && RAW in v) {
        const entries = (v as { [RAW]: [string, unknown][] })[RAW];
        const members = entries.flatMap(([k, m]) => {
          const text = emit(m);
          return text === undefined ? [] : [`${JSON.stringify(k)}:${text}`];
        });
        return `{${members.join(',')}}`;
      }
      if (Array.isArray(v)) return `[${Array.from(v, (m) => emit(m) ?? 'null').join(',')}]`;
      if (typeof v === 'object' && v !== null) {
        const members = Object.entries(v).flatMap(([k, m]) => {
          const text = emit(m);
          return text === undefined ? [] : [`${JSON.stringify(k)}:${text}`];
        });
        return `{${members.join(',')}}`;
      }
      return JSON.stringify(v);
    };
    return emit(sortCopy(value));
  }
  const RAW = Symbol('raw entries');

  // the same value with every plain object's keys inserted in sorted order (Dates etc. left alone)
  const sortedDeep = (v: unknown): unknown => {
    if (Array.isArray(v)) return Array.from(v, sortedDeep);
    if (typeof v !== 'object' || v === null) return v;
    const prototype: unknown = Object.getPrototypeOf(v);
    if (prototype !== Object.prototype && prototype !== null) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])]),
    );
  };

  // Objects whose keys are already in canonical order are written by JSON.stringify (the fast path),
  // others piece by piece; both must give the reference's bytes, and each other's.
  const values = fc.oneof(
    fc.jsonValue(),
    fc.jsonValue().map(sortedDeep),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })).map(sortedDeep),
    jsonishValue,
  );
  test.prop([values], { numRuns: 500 })('fast and piecewise paths write the reference bytes', (value) => {
    expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJson(sortedDeep(value))).toBe(canonicalJson(value));
  });

  it('writes an own "__proto__" member as the data it is (found by the property above, seed -375640201)', () => {
    const parsed = JSON.parse('{"__proto__":{"admin":true},"a":1}') as Record<string, unknown>;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"admin":true},"a":1}');
    expect(reference(parsed)).toBe('{"__proto__":{"admin":true},"a":1}');
  });

  it('takes neither shortcut past what the fast path cannot see', () => {
    // sorted keys but a non-finite number, a BigInt, a toJSON, a class instance, integer-like keys
    expect(() => canonicalJson({ a: 1, b: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson({ a: [1n] })).toThrow(/BigInt/);
    expect(canonicalJson({ a: { toJSON: () => ({ z: 1, y: 2 }) } })).toBe('{"a":{"y":2,"z":1}}');
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    expect(canonicalJson({ p: new Point(2, 1) })).toBe('{"p":{"x":1,"y":2}}');
    expect(canonicalJson({ '10': 'a', '9': 'b' })).toBe('{"10":"a","9":"b"}');
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 300; i++) at = at.a = {};
    expect(() => canonicalJson(deep)).toThrow(/256 levels/);
  });
});

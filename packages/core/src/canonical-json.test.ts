import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { canonicalJson, digest } from './index.js';

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
});

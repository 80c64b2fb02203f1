// canonicalJson against `canonicalize`, the JSON Canonicalization Scheme (RFC 8785) package by the RFC's
// authors: on JSON values (what records, arguments and results are once parsed), both write the same bytes.
import { fc, test } from '@fast-check/vitest';
import canonicalize from 'canonicalize';
import { describe, expect } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson against the RFC 8785 authors’ canonicalize', () => {
  test.prop([fc.jsonValue()], { numRuns: 1_000 })('writes the same bytes for any JSON value', (value) => {
    expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  // numbers are where canonical forms most often differ (ECMAScript shortest round-trip, exponents, -0)
  test.prop([fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 })], {
    numRuns: 1_000,
  })('writes numbers the same way', (numbers) => {
    expect(canonicalJson(numbers)).toBe(canonicalize(numbers));
  });

  // keys are sorted by UTF-16 code units, including surrogates and characters past the BMP
  test.prop([fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.integer(), { maxKeys: 12 })], {
    numRuns: 1_000,
  })('orders keys the same way', (object) => {
    expect(canonicalJson(object)).toBe(canonicalize(object));
  });
});

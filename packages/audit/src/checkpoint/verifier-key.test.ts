import { describe, expect, it } from 'vitest';
import { mangled, PETER_VKEY, refusal } from './__support__/note-vectors.js';
import { parseVerifierKey } from './verifier-key.js';

describe('verifier keys', () => {
  it('refuses every truncation and every single-character change of a verifier key', () => {
    for (const vkey of mangled(PETER_VKEY)) {
      expect([vkey, refusal(() => parseVerifierKey(vkey)).code]).toEqual([vkey, 'WRIT_OPTIONS_INVALID']);
    }
    // from note_test.go: a wrong-length key and an unknown algorithm, each with a matching key id
    for (const vkey of [
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
      'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    ]) {
      expect(refusal(() => parseVerifierKey(vkey)).code).toBe('WRIT_OPTIONS_INVALID');
    }
    expect(refusal(() => parseVerifierKey(42 as unknown as string)).code).toBe('WRIT_OPTIONS_INVALID');
  });
});

import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { tokenBinding, tokenSealer } from './token-seal.js';

const KEY = 'seal-key-0123456789abcdef0123456789';
const binding = tokenBinding({ jti: 'j1', revocationEndpoint: 'https://as.example/revoke', clientId: 'c' });

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return WritError.isInstance(error) ? error.code : 'untyped';
  }
  return 'opened';
};

describe('tokenSealer', () => {
  it('opens what it sealed, and the sealed text carries nothing of the token', () => {
    const sealer = tokenSealer(KEY);
    const sealed = sealer.seal('eyJ-the-token', binding);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('the-token');
    expect(sealer.open(sealed, binding)).toBe('eyJ-the-token');
    // a fresh IV each time
    expect(sealer.seal('eyJ-the-token', binding)).not.toBe(sealed);
  });

  it('refuses, typed, a token moved to another binding, sealed under another key, or altered', () => {
    const sealed = tokenSealer(KEY).seal('eyJ-the-token', binding);
    const other = tokenBinding({ jti: 'j2', revocationEndpoint: 'https://as.example/revoke', clientId: 'c' });
    expect(refusal(() => tokenSealer(KEY).open(sealed, other))).toBe('WRIT_STORE_TAMPERED');
    expect(refusal(() => tokenSealer(`${KEY}x`).open(sealed, binding))).toBe('WRIT_STORE_TAMPERED');
    const [v, iv, body, tag] = sealed.split('.') as [string, string, string, string];
    // the first character: all six of its bits are ciphertext (the last may be partly padding)
    const flipped = `${body.startsWith('A') ? 'B' : 'A'}${body.slice(1)}`;
    expect(refusal(() => tokenSealer(KEY).open([v, iv, flipped, tag].join('.'), binding))).toBe(
      'WRIT_STORE_TAMPERED',
    );
    expect(refusal(() => tokenSealer(KEY).open('eyJ-plain-token', binding))).toBe('WRIT_STORE_TAMPERED');
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(refusal(() => tokenSealer('short'))).toBe('WRIT_OPTIONS_INVALID');
  });
});

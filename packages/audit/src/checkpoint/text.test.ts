import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { checkNoteText, decodeBase64, isKeyName, isNoteText } from './text.js';

const reasonOf = (text: unknown): unknown => {
  try {
    checkNoteText(text);
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_INPUT_INVALID')) return error.details.reason;
    throw error;
  }
  return undefined;
};

describe('note text rules', () => {
  it('decodes standard padded base64 only', () => {
    expect(decodeBase64('AQID')?.toString('hex')).toBe('010203');
    expect(decodeBase64('AQ==')?.toString('hex')).toBe('01');
    for (const bad of ['AQ', 'AQ=', 'A-_B', 'AQ==\n', ' AQID', 'AR==']) {
      expect([bad, decodeBase64(bad)]).toEqual([bad, undefined]);
    }
  });

  it('admits newlines but no other control character, and no lone surrogate', () => {
    expect(isNoteText('a\nb\n')).toBe(true);
    expect(isNoteText('😀\n')).toBe(true);
    for (const bad of ['\t', '\r\n', '\u0000', '\ud800', '\udc00x', 'x\ud83d']) {
      expect([bad, isNoteText(bad)]).toEqual([bad, false]);
    }
  });

  it('names keys without spaces, "+" or control characters', () => {
    expect(isKeyName('example.com/log')).toBe(true);
    for (const bad of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u0085b', 'a\nb', 42]) {
      expect([bad, isKeyName(bad)]).toEqual([bad, false]);
    }
  });

  it('says why text cannot be signed', () => {
    expect(reasonOf('fine\n')).toBeUndefined();
    expect(reasonOf(42)).toBe('not-text');
    expect(reasonOf('no newline')).toBe('missing-final-newline');
    expect(reasonOf('tab\there\n')).toBe('invalid-character');
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { safeTerminalText } from './terminal-text.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const INTERPRETED = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('safeTerminalText', () => {
  it('shows line breaks, carriage returns and tabs as \\n, \\r, \\t', () => {
    expect(safeTerminalText('Refund 42\n✔ allow')).toBe('Refund 42\\n✔ allow');
    expect(safeTerminalText('ok\u001b[2K\rforged')).toBe('ok\\x1b[2K\\rforged');
    expect(safeTerminalText('a\tb\r\nc')).toBe('a\\tb\\r\\nc');
  });

  it('shows C0 controls, DEL and C1 controls as \\xNN', () => {
    expect(safeTerminalText('\u0000\u0007\u001b]0;title\u0007')).toBe('\\x00\\x07\\x1b]0;title\\x07');
    expect(safeTerminalText('x\u007fy')).toBe('x\\x7fy');
    expect(safeTerminalText('\u009b31m\u0085\u0080')).toBe('\\x9b31m\\x85\\x80');
  });

  it('shows bidi controls and the line / paragraph separators as \\uNNNN', () => {
    expect(safeTerminalText('a\u202eb\u2066c')).toBe('a\\u202eb\\u2066c');
    expect(safeTerminalText('\u202a\u202b\u202c\u202d\u2067\u2068\u2069')).toBe(
      '\\u202a\\u202b\\u202c\\u202d\\u2067\\u2068\\u2069',
    );
    expect(safeTerminalText('\u200e\u200f\u061c')).toBe('\\u200e\\u200f\\u061c');
    expect(safeTerminalText('one\u2028two\u2029three')).toBe('one\\u2028two\\u2029three');
  });

  it('keeps printable text as it is: accents, emoji, CJK, Arabic and Hebrew letters, backslashes', () => {
    const text = 'Zoë 🦊 注文 طلب הזמנה C:\\logs\\n';
    expect(safeTerminalText(text)).toBe(text);
  });

  test.prop([fc.string({ unit: 'binary' })])('never leaves a character a terminal interprets', (text) => {
    expect(safeTerminalText(text)).not.toMatch(INTERPRETED);
  });

  test.prop([fc.string({ unit: 'grapheme' })])('changes nothing in text without controls', (text) => {
    fc.pre(!INTERPRETED.test(text));
    expect(safeTerminalText(text)).toBe(text);
  });
});

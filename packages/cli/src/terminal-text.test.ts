import { describe, expect, it } from 'vitest';
import { safeTerminalText } from './terminal-text.js';

describe('safeTerminalText', () => {
  it('makes escape sequences, carriage returns and bidi controls visible; keeps text, tabs and newlines', () => {
    expect(safeTerminalText('ok\u001b[2K\rforged')).toBe('ok\\x1b[2K\\x0dforged');
    expect(safeTerminalText('a\u202eb\u2066c')).toBe('a\\u202eb\\u2066c');
    expect(safeTerminalText('Zoë 🦊\tline\nnext')).toBe('Zoë 🦊\tline\nnext');
    expect(safeTerminalText('\u009b31m')).toBe('\\x9b31m');
  });
});

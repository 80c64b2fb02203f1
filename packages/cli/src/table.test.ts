import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { formatTable, truncate } from './table.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart, leaves the last unpadded, and colours only the painted part of a cell', () => {
    const c = pc.createColors(true);
    const lines = formatTable(
      ['TOOL', 'APPROVAL', 'NOTE'],
      [
        [{ text: 'lookup_order' }, { text: '-' }, { text: 'a' }],
        [{ text: 'refund' }, { text: 'granted', paint: c.green, rest: ' by maria' }, { text: 'b' }],
      ],
      c.dim,
    );
    expect(lines).toEqual([
      `${c.dim('TOOL')}${' '.repeat(8)}  ${c.dim('APPROVAL')}${' '.repeat(8)}  ${c.dim('NOTE')}`,
      `lookup_order  -${' '.repeat(15)}  a`,
      `refund${' '.repeat(6)}  ${c.green('granted')} by maria  b`,
    ]);
  });

  it('counts width in code points (emoji and accents count one)', () => {
    const lines = formatTable(
      ['A', 'B'],
      [
        [{ text: 'Zoë🦊' }, { text: 'x' }],
        [{ text: 'abc' }, { text: 'y' }],
      ],
    );
    expect(lines).toEqual(['A     B', 'Zoë🦊  x', 'abc   y']);
  });
});

describe('truncate', () => {
  it('cuts to max code points with an ellipsis, never inside a surrogate pair', () => {
    expect(truncate('Refund order 42', 20)).toBe('Refund order 42');
    expect(truncate('Refund order 42', 8)).toBe('Refund …');
    expect(truncate('🦊🦊🦊🦊', 3)).toBe('🦊🦊…');
  });
});

import { describe, expect, it } from 'vitest';
import { PETER_SIG } from './__support__/note-vectors.js';
import { formatSignatureLine, parseSignatureLine } from './signature-line.js';

describe('signature lines', () => {
  it('parses the reference signature line and formats it back byte for byte', () => {
    const parsed = parseSignatureLine(PETER_SIG.slice(0, -1));
    expect(parsed?.name).toBe('PeterNeumann');
    expect(parsed?.keyId.toString('hex')).toBe('c74f20a3');
    expect(parsed?.signature).toHaveLength(64);
    if (parsed === undefined) return;
    expect(formatSignatureLine(parsed.name, parsed.keyId, parsed.signature)).toBe(PETER_SIG);
  });

  it('refuses lines that are not exactly "— <name> <standard base64 of 5 bytes or more>"', () => {
    const line = PETER_SIG.slice(0, -1);
    for (const bad of [
      line.replace('—', '-'),
      line.replace('— ', '—'),
      line.replace('PeterNeumann', 'Peter+Neumann'),
      line.replace('PeterNeumann ', ''),
      `${line} `,
      line.replace(/=$/, ''),
      line.replace('/', '_'),
      '— PeterNeumann x08gow==', // four bytes: a key id and no signature
      '— PeterNeumann',
    ]) {
      expect([bad, parseSignatureLine(bad)]).toEqual([bad, undefined]);
    }
  });
});

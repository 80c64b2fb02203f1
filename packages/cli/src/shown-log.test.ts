import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { evidenceCell, type ShownLog, shownExitCode } from './shown-log.js';
import type { VerifyJson } from './verdict.js';

/** A log as read, with the verdict's state and how many of its records checkpoints cover. */
const logWith = (verification: Partial<VerifyJson> | null): ShownLog => ({
  dir: '/logs/a',
  verification:
    verification === null
      ? null
      : ({ state: 'anchored', records: 4, covered: 4, ...verification } as VerifyJson),
  unreadable: [],
  findings: [],
  events: [],
  timeOf: () => undefined,
});

describe('shownExitCode', () => {
  it("is 1 when nothing matched, else the verdict's, and 4 rather than 0 when something shown is not verified", () => {
    const all = { found: true, allVerified: true };
    expect(shownExitCode(logWith({}), { found: false, allVerified: true })).toBe(EXIT_CODES.failed);
    expect(shownExitCode(logWith({}), all)).toBe(EXIT_CODES.ok);
    expect(shownExitCode(logWith({}), { found: true, allVerified: false })).toBe(EXIT_CODES.unanchored);
    expect(shownExitCode(logWith({ covered: 3 }), all)).toBe(EXIT_CODES.unanchored);
    expect(shownExitCode(logWith({ state: 'unanchored' }), all)).toBe(EXIT_CODES.unanchored);
    expect(shownExitCode(logWith({ state: 'unpinned' }), all)).toBe(EXIT_CODES.unverified);
    expect(shownExitCode(logWith({ state: 'failed' }), all)).toBe(EXIT_CODES.failed);
    expect(shownExitCode(logWith(null), all)).toBe(EXIT_CODES.unverified);
  });
});

describe('evidenceCell', () => {
  it('names what verification proves about a row, coloured by how much', () => {
    const c = pc.createColors(true);
    const shown = (cell: ReturnType<typeof evidenceCell>) => cell.paint?.(cell.text) ?? cell.text;
    expect(shown(evidenceCell('verified', c))).toBe('verified');
    expect(shown(evidenceCell('unsealed', c))).toBe(c.yellow('unsealed'));
    expect(shown(evidenceCell('failed', c))).toBe(c.red(c.bold('FAILED')));
    expect(shown(evidenceCell('unverified', c))).toBe(c.yellow('unverified'));
    expect(shown(evidenceCell(undefined, c))).toBe(c.yellow('unverified'));
  });
});

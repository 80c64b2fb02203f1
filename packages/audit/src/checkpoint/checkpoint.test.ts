import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { refusal } from './__support__/note-vectors.js';
import { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.js';

const ROOT = Buffer.from('rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=', 'base64');

describe('formatCheckpoint / parseCheckpoint', () => {
  it('reads the example of the C2SP tlog-checkpoint spec', () => {
    // https://c2sp.org/tlog-checkpoint (the note text of its example; its key is not published)
    const text = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const cp = parseCheckpoint(text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(cp.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(cp.extensions).toEqual([]);
    expect(formatCheckpoint(cp)).toBe(text);
  });

  it('writes origin, decimal size, base64 root and extension lines, each ending in a newline', () => {
    const cp: Checkpoint = {
      origin: 'example.com/log',
      size: 3,
      rootHash: ROOT,
      extensions: ['ext one', '— two'],
    };
    const text = formatCheckpoint(cp);
    expect(text).toBe('example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\next one\n— two\n');
    expect(parseCheckpoint(text)).toEqual(cp);
    expect(formatCheckpoint({ origin: 'o', size: 0, rootHash: ROOT, extensions: [] })).toBe(
      'o\n0\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n',
    );
  });

  it.each([
    [
      'no final newline',
      'example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=',
      'missing-final-newline',
    ],
    ['only two lines', 'example.com/log\n3\n', 'too-few-lines'],
    ['empty origin', '\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'empty-origin'],
    ['leading zero', 'o\n03\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-size'],
    ['negative size', 'o\n-3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-size'],
    ['signed size', 'o\n+3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-size'],
    ['size with space', 'o\n3 \nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-size'],
    ['hex size', 'o\n0x3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-size'],
    ['size past 2^53', 'o\n9007199254740993\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-size'],
    ['31-byte root', 'o\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngb\n', 'bad-root-hash'],
    ['unpadded root', 'o\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc\n', 'bad-root-hash'],
    ['url-safe root', 'o\n3\nrra8_idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'bad-root-hash'],
    ['non-canonical root', 'o\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnd=\n', 'bad-root-hash'],
    ['empty extension', 'o\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n\n', 'empty-extension'],
    ['carriage return', 'o\r\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'invalid-character'],
    ['lone surrogate', 'o\ud800\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', 'invalid-character'],
  ])('refuses %s', (_name, text, reason) => {
    const error = refusal(() => parseCheckpoint(text));
    expect(error.code).toBe('WRIT_INPUT_INVALID');
    expect(error.details.reason).toBe(reason);
  });

  it('refuses to format a checkpoint it could not read back', () => {
    const good: Checkpoint = { origin: 'o', size: 1, rootHash: ROOT, extensions: [] };
    const bad: Checkpoint[] = [
      { ...good, origin: '' },
      { ...good, origin: 'a\nb' },
      { ...good, origin: 'a\tb' },
      { ...good, size: -1 },
      { ...good, size: 1.5 },
      { ...good, size: 2 ** 53 },
      { ...good, rootHash: ROOT.subarray(1) },
      { ...good, extensions: [''] },
      { ...good, extensions: ['a\nb'] },
      { ...good, extensions: 'x' as unknown as string[] },
    ];
    for (const cp of bad) expect(refusal(() => formatCheckpoint(cp)).code).toBe('WRIT_OPTIONS_INVALID');
  });

  const line = fc
    .string({ minLength: 1, maxLength: 20, unit: 'grapheme' })
    .filter((s) => [...s].every((ch) => (ch.codePointAt(0) as number) >= 0x20));
  test.prop([
    line,
    fc.maxSafeNat(),
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.array(line, { maxLength: 3 }),
  ])('round-trips any valid checkpoint', (origin, size, root, extensions) => {
    const cp: Checkpoint = { origin, size, rootHash: Buffer.from(root), extensions };
    expect(parseCheckpoint(formatCheckpoint(cp))).toEqual(cp);
  });

  test.prop([fc.string({ maxLength: 80, unit: 'binary' })])(
    'throws only WritError on arbitrary text',
    (text) => {
      try {
        parseCheckpoint(text);
      } catch (error) {
        expect(WritError.isInstance(error, 'WRIT_INPUT_INVALID')).toBe(true);
      }
    },
  );
});

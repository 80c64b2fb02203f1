import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import {
  ENOCH_SIG,
  enoch,
  PETER_SIG,
  PETER_SKEY,
  PETER_VKEY,
  peter,
  reasonOf,
  refusal,
  SPEC_NOTE,
  SPEC_VKEY,
  TEXT,
} from './__support__/note-vectors.js';
import { openNote, signNote } from './signed-note.js';
import { createNoteSigner, generateNoteKeys, type NoteSigner } from './signer-key.js';
import { type NoteVerifier, parseVerifierKey } from './verifier-key.js';

describe('signNote / openNote', () => {
  it('reproduces the reference note byte for byte', () => {
    const signer = createNoteSigner(PETER_SKEY);
    expect(signer.sign(TEXT)).toBe(PETER_SIG);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
    expect(openNote(`${TEXT}\n${PETER_SIG}`, [peter])).toEqual({
      text: TEXT,
      signatures: [{ name: 'PeterNeumann', keyId: 'c74f20a3', verified: true }],
    });
  });

  it('opens the C2SP signed-note spec example with its verifier key', () => {
    const verifier = parseVerifierKey(SPEC_VKEY);
    expect(openNote(SPEC_NOTE, [verifier])).toEqual({
      text: 'This is an example message.\n',
      signatures: [{ name: 'example.com/foo', keyId: '530d903a', verified: true }],
    });
    expect(
      reasonOf(() => openNote(SPEC_NOTE.replace('example message', 'example massage'), [verifier])),
    ).toBe('signature-invalid');
  });

  it('lists signatures by unknown keys but needs one by a known key', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(note, [peter]).signatures).toEqual([
      { name: 'PeterNeumann', keyId: 'c74f20a3', verified: true },
      { name: 'EnochRoot', keyId: 'af0cfe78', verified: false },
    ]);
    expect(openNote(note, [enoch, peter]).signatures.map((s) => s.verified)).toEqual([true, true]);
    const error = refusal(() => openNote(note, []));
    expect(error.details).toEqual({
      reason: 'no-trusted-signature',
      signatures: ['PeterNeumann+c74f20a3', 'EnochRoot+af0cfe78'],
    });
    expect(reasonOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [peter]))).toBe('no-trusted-signature');
  });

  it('ignores a signature sharing only the name or only the key id of a known key', () => {
    const other = createNoteSigner(generateNoteKeys('PeterNeumann').signerKey);
    const sameName = other.sign(TEXT);
    // same key id, other name: rename Peter's line
    const sameId = PETER_SIG.replace('PeterNeumann', 'CarmenSandiego');
    const opened = openNote(`${TEXT}\n${sameName}${sameId}${PETER_SIG}`, [peter]);
    expect(opened.signatures).toEqual([
      { name: 'PeterNeumann', keyId: other.keyId.toString('hex'), verified: false },
      { name: 'CarmenSandiego', keyId: 'c74f20a3', verified: false },
      { name: 'PeterNeumann', keyId: 'c74f20a3', verified: true },
    ]);
  });

  it('refuses the whole note when a known key signature does not verify, even next to a good one', () => {
    const bad = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`; // from note_test.go
    const error = refusal(() => openNote(`${TEXT}\n${ENOCH_SIG}${bad}`, [peter, enoch]));
    expect(error.details).toEqual({ reason: 'signature-invalid', name: 'PeterNeumann', keyId: 'c74f20a3' });
    expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG}${bad}`, [peter]))).toBe('signature-invalid');
    // a known key with a signature of the wrong length
    const short = `— PeterNeumann ${Buffer.concat([Buffer.from('c74f20a3', 'hex'), Buffer.alloc(10)]).toString('base64')}\n`;
    expect(reasonOf(() => openNote(`${TEXT}\n${short}`, [peter]))).toBe('signature-invalid');
  });

  it('keeps blank lines inside the text (the last blank line separates the signatures)', () => {
    const signer = createNoteSigner(PETER_SKEY);
    const poem = 'first stanza\n\nsecond stanza\n\n';
    const note = signNote(poem, [signer]);
    expect(openNote(note, [peter]).text).toBe(poem);
  });

  it('refuses malformed notes with WRIT_INPUT_INVALID', () => {
    const table: [string, string, string][] = [
      ['text only', TEXT, 'missing-separator'],
      ['no signature lines', `${TEXT}\n`, 'bad-signature-line'],
      ['signature without final newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`, 'missing-final-newline'],
      ['no blank line', `${TEXT}${PETER_SIG}`, 'missing-separator'],
      ['text without final newline', `${TEXT.slice(0, -1)}${PETER_SIG}`, 'missing-separator'],
      ['control character', `\u0001${TEXT}\n${PETER_SIG}`, 'invalid-character'],
      ['carriage return line ends', `${TEXT}\n${PETER_SIG.replace('\n', '\r\n')}`, 'invalid-character'],
      ['lone surrogate', `\udc00${TEXT}\n${PETER_SIG}`, 'invalid-character'],
      ['hyphens instead of em dash', `${TEXT}\n${PETER_SIG.replace('—', '--')}`, 'bad-signature-line'],
      ['en dash instead of em dash', `${TEXT}\n${PETER_SIG.replace('—', '–')}`, 'bad-signature-line'],
      ['no space after the dash', `${TEXT}\n${PETER_SIG.replace('— ', '—')}`, 'bad-signature-line'],
      ['name with space', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Bad Name')}`, 'bad-signature-line'],
      [
        'name with plus',
        `${TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Peter+Neumann')}`,
        'bad-signature-line',
      ],
      ['empty name', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', '')}`, 'bad-signature-line'],
      ['missing signature', `${TEXT}\n— PeterNeumann\n`, 'bad-signature-line'],
      ['empty signature', `${TEXT}\n— PeterNeumann \n`, 'bad-signature-line'],
      ['signature of four bytes', `${TEXT}\n— PeterNeumann x08gow==\n`, 'bad-signature-line'],
      ['unpadded base64', `${TEXT}\n${PETER_SIG.replace('=\n', '\n')}`, 'bad-signature-line'],
      ['url-safe base64', `${TEXT}\n${PETER_SIG.replace('/', '_')}`, 'bad-signature-line'],
      ['trailing space', `${TEXT}\n${PETER_SIG.replace('\n', ' \n')}`, 'bad-signature-line'],
      ['unexpected line after signatures', `${TEXT}\n${PETER_SIG}Unexpected line.\n`, 'bad-signature-line'],
      [
        'blank line among signatures (moves the split)',
        `${TEXT}\n${ENOCH_SIG}\n${PETER_SIG}`,
        'signature-invalid',
      ],
      ['101 signatures', `${TEXT}\n${PETER_SIG.repeat(101)}`, 'too-many-signatures'],
    ];
    for (const [name, note, reason] of table) {
      expect([name, reasonOf(() => openNote(note, [peter]))]).toEqual([name, reason]);
    }
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(100)}`, [peter]).signatures).toHaveLength(100);
    expect(reasonOf(() => openNote(42 as unknown as string, [peter]))).toBe('not-text');
  });

  it('refuses bad verifier lists and bad signing requests', () => {
    const signer = createNoteSigner(PETER_SKEY);
    const options = (fn: () => unknown) => expect(refusal(fn).code).toBe('WRIT_OPTIONS_INVALID');
    options(() => openNote(`${TEXT}\n${PETER_SIG}`, [peter, parseVerifierKey(PETER_VKEY)]));
    options(() => openNote(`${TEXT}\n${PETER_SIG}`, [{ name: 'x' } as NoteVerifier]));
    options(() => openNote(`${TEXT}\n${PETER_SIG}`, peter as unknown as NoteVerifier[]));
    options(() => signNote(TEXT, []));
    options(() => signNote(TEXT, [signer, createNoteSigner(PETER_SKEY)]));
    options(() => signNote(TEXT, [{ ...signer, sign: () => 'not a signature line' }]));
    options(() => signNote(TEXT, [{ ...signer, sign: () => ENOCH_SIG }]));
    options(() => signNote(TEXT, [{} as NoteSigner]));
    options(() => signNote(TEXT, [{ ...signer, keyId: 'c74f20a3' } as unknown as NoteSigner]));
    const throwing: NoteVerifier = {
      name: 'PeterNeumann',
      keyId: peter.keyId,
      verify: () => {
        throw new Error('verifier bug');
      },
    };
    expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG}`, [throwing]))).toBe('signature-invalid');
    expect(reasonOf(() => signNote('no final newline', [signer]))).toBe('missing-final-newline');
    expect(reasonOf(() => signNote('tab\there\n', [signer]))).toBe('invalid-character');
    expect(reasonOf(() => signer.sign('\ud800\n'))).toBe('invalid-character');
  });

  it('verifiers never throw on hostile signatures', () => {
    const hostile: unknown[] = [
      new Uint8Array(0),
      new Uint8Array(64),
      new Uint8Array(65),
      'sig',
      null,
      {},
      [1, 2],
    ];
    for (const signature of hostile) expect(peter.verify(TEXT, signature as Uint8Array)).toBe(false);
    expect(peter.verify(42 as unknown as string, new Uint8Array(64))).toBe(false);
  });

  test.prop([fc.string({ maxLength: 200, unit: 'binary' })], { numRuns: 200 })(
    'opening arbitrary text throws only WritError',
    (text) => {
      for (const note of [text, `${TEXT}\n${text}`, `${TEXT}\n— PeterNeumann ${text}\n`]) {
        try {
          openNote(note, [peter]);
        } catch (error) {
          expect(WritError.isInstance(error, 'WRIT_INPUT_INVALID')).toBe(true);
        }
      }
    },
  );
});

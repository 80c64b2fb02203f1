import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { reasonOf, refusal, SPEC_CHECKPOINT } from './__support__/note-vectors.js';
import type { Checkpoint } from './checkpoint.js';
import { openCheckpoint, signCheckpoint } from './signed-checkpoint.js';
import { signNote } from './signed-note.js';
import { createNoteSigner, generateNoteKeys } from './signer-key.js';
import { parseVerifierKey } from './verifier-key.js';

describe('signCheckpoint / openCheckpoint', () => {
  const keys = generateNoteKeys('example.com/log');
  const signer = createNoteSigner(keys.signerKey);
  const verifier = parseVerifierKey(keys.verifierKey);
  const cp: Checkpoint = {
    origin: 'example.com/log',
    size: 3,
    rootHash: Buffer.from('rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=', 'base64'),
    extensions: [],
  };
  const note = signCheckpoint(cp, signer);

  it('round-trips', () => {
    expect(
      note.startsWith(
        'example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n\n— example.com/log ',
      ),
    ).toBe(true);
    expect(openCheckpoint(note, [verifier])).toEqual({
      ...cp,
      signatures: [{ name: 'example.com/log', keyId: signer.keyId.toString('hex'), verified: true }],
    });
    const withExtension = signCheckpoint({ ...cp, extensions: ['ext'] }, signer);
    expect(openCheckpoint(withExtension, [verifier]).extensions).toEqual(['ext']);
  });

  it('refuses tampered size, root, origin and signature', () => {
    const sigStart = note.indexOf('— ');
    const tampered = [
      note.replace('\n3\n', '\n4\n'),
      note.replace('rra8/', 'rrb8/'),
      note.replace('example.com/log\n', 'example.com/lag\n'),
      note.slice(0, sigStart + 30) + (note[sigStart + 30] === 'A' ? 'B' : 'A') + note.slice(sigStart + 31),
    ];
    for (const t of tampered) expect(reasonOf(() => openCheckpoint(t, [verifier]))).toBe('signature-invalid');
  });

  it('reads the C2SP tlog-checkpoint example but cannot trust it (its key is not published)', () => {
    const error = refusal(() => openCheckpoint(SPEC_CHECKPOINT, [verifier]));
    expect(error.details).toEqual({
      reason: 'no-trusted-signature',
      signatures: [
        `example.com/behind-the-sofa+${Buffer.from('Az3grlgt', 'base64').subarray(0, 4).toString('hex')}`,
      ],
    });
  });

  it('refuses a validly signed note whose text is not a checkpoint', () => {
    expect(reasonOf(() => openCheckpoint(signNote('just text\n', [signer]), [verifier]))).toBe(
      'too-few-lines',
    );
  });

  test.prop([fc.nat({ max: 10_000 }), fc.integer({ min: 1, max: 0xffff })], { numRuns: 150 })(
    'any single-character change to a signed checkpoint is refused',
    (position, code) => {
      const at = position % note.length;
      const replacement = String.fromCharCode(code);
      fc.pre(replacement !== note[at]);
      const changed = note.slice(0, at) + replacement + note.slice(at + 1);
      expect(
        WritError.isInstance(
          refusal(() => openCheckpoint(changed, [verifier])),
          'WRIT_INPUT_INVALID',
        ),
      ).toBe(true);
    },
  );
});

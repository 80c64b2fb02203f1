import { createHash, generateKeyPairSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint.js';
import {
  createNoteSigner,
  generateNoteKeys,
  type NoteSigner,
  type NoteVerifier,
  openCheckpoint,
  openNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
} from './note.js';

// From the C2SP signed-note spec, "Verifier keys" → "Example": a verifier key and a note it verifies.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
// From the C2SP tlog-checkpoint spec: an example checkpoint note (its key is not published).
const SPEC_CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
// From the reference implementation golang.org/x/mod/sumdb/note (package documentation and
// note_test.go), used as data: a signer key with its verifier key, a second verifier key, and the
// signature lines both keys make over TEXT. Ed25519 is deterministic, so signing must reproduce them.
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

function refusal(fn: () => unknown): WritError {
  try {
    fn();
  } catch (error) {
    if (WritError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a WritError');
}
const reasonOf = (fn: () => unknown): unknown => {
  const error = refusal(fn);
  expect(error.code).toBe('WRIT_INPUT_INVALID');
  return error.details.reason;
};

describe('keys', () => {
  it('computes key ids as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]', () => {
    for (const [vkey, name, id] of [
      [PETER_VKEY, 'PeterNeumann', 'c74f20a3'],
      [SPEC_VKEY, 'example.com/foo', '530d903a'],
    ] as const) {
      const typed = Buffer.from(vkey.slice(vkey.lastIndexOf('+', vkey.length - 45) + 1), 'base64');
      const independent = createHash('sha256')
        .update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.of(0x0a), typed]))
        .digest()
        .subarray(0, 4);
      const verifier = parseVerifierKey(vkey);
      expect(typed[0]).toBe(0x01);
      expect(independent.toString('hex')).toBe(id);
      expect(verifier.name).toBe(name);
      expect(verifier.keyId.toString('hex')).toBe(id);
    }
  });

  it('reads the reference signer key and derives its verifier key', () => {
    const signer = createNoteSigner(PETER_SKEY);
    expect(signer.name).toBe('PeterNeumann');
    expect(signer.keyId.toString('hex')).toBe('c74f20a3');
    expect(signer.verifierKey).toBe(PETER_VKEY);
  });

  it('generates keys that round-trip, and accepts a KeyObject', () => {
    const { signerKey, verifierKey } = generateNoteKeys('writ.example/audit');
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+writ\.example\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(verifierKey).toMatch(/^writ\.example\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const signer = createNoteSigner(signerKey);
    expect(signer.verifierKey).toBe(verifierKey);
    expect(parseVerifierKey(verifierKey).keyId).toEqual(signer.keyId);
    const { privateKey } = generateKeyPairSync('ed25519');
    const fromObject = createNoteSigner({ name: 'writ.example/other', privateKey });
    const note = signNote('hello\n', [fromObject]);
    expect(openNote(note, [parseVerifierKey(fromObject.verifierKey)]).text).toBe('hello\n');
    expect(Object.keys(signer).sort()).toEqual(['keyId', 'name', 'sign', 'verifierKey']);
    expect(JSON.stringify(signer)).not.toContain(signerKey.slice(-44));
  });

  it('refuses every truncation and every single-character change of a verifier key', () => {
    const mangled = new Set<string>();
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) mangled.add(PETER_VKEY.slice(i, j));
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      mangled.add(
        PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1),
      );
    }
    mangled.delete(PETER_VKEY);
    for (const vkey of mangled) {
      expect([vkey, refusal(() => parseVerifierKey(vkey)).code]).toEqual([vkey, 'WRIT_OPTIONS_INVALID']);
    }
    // from note_test.go: a wrong-length key and an unknown algorithm, each with a matching key id
    for (const vkey of [
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
      'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    ]) {
      expect(refusal(() => parseVerifierKey(vkey)).code).toBe('WRIT_OPTIONS_INVALID');
    }
    expect(refusal(() => parseVerifierKey(42 as unknown as string)).code).toBe('WRIT_OPTIONS_INVALID');
  });

  it('refuses every truncation and every single-character change of a signer key, without echoing it', () => {
    const seed = PETER_SKEY.slice(-44);
    const mangled = new Set<string>();
    for (let i = 0; i <= PETER_SKEY.length; i++) {
      for (let j = i + 1; j <= PETER_SKEY.length; j++) mangled.add(PETER_SKEY.slice(i, j));
    }
    for (let i = 0; i < PETER_SKEY.length; i++) {
      mangled.add(
        PETER_SKEY.slice(0, i) + String.fromCharCode(PETER_SKEY.charCodeAt(i) + 1) + PETER_SKEY.slice(i + 1),
      );
    }
    mangled.delete(PETER_SKEY);
    for (const skey of mangled) {
      const error = refusal(() => createNoteSigner(skey));
      expect([skey, error.code]).toEqual([skey, 'WRIT_OPTIONS_INVALID']);
      expect(JSON.stringify(error.toJSON())).not.toContain(seed.slice(4, 30));
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const { privateKey: p256 } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const key of [
      { name: 'bad name', privateKey },
      { name: 'a+b', privateKey },
      { name: 'ok', privateKey: publicKey },
      { name: 'ok', privateKey: p256 },
      { name: 'ok', privateKey: 'secret' },
    ]) {
      expect(refusal(() => createNoteSigner(key as never)).code).toBe('WRIT_OPTIONS_INVALID');
    }
    expect(refusal(() => generateNoteKeys('')).code).toBe('WRIT_OPTIONS_INVALID');
    expect(refusal(() => generateNoteKeys('has\u00a0space')).code).toBe('WRIT_OPTIONS_INVALID');
  });
});

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

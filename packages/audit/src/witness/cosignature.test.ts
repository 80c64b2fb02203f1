import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../checkpoint/checkpoint.js';
import { signNote } from '../checkpoint/signed-note.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import {
  createCosigner,
  generateWitnessKeys,
  parseCosignatureKey,
  verifyCosignatures,
} from './cosignature.js';

const root = createHash('sha256').update('root').digest();
const text = formatCheckpoint({ origin: 'example.com/log', size: 20852163, rootHash: root, extensions: [] });
const log = createNoteSigner(generateNoteKeys('example.com/log').signerKey);
const note = signNote(text, [log]);
const T = 1_679_315_147;

function witness(name: string) {
  const keys = generateWitnessKeys(name);
  return { ...keys, cosigner: createCosigner(keys.signerKey, { clock: () => T * 1000 }) };
}

describe('C2SP tlog-cosignature vectors', () => {
  it('parses a published type-0x04 witness key, whose key id is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4] (transparency-dev/formats note_cosigv1_test.go)', () => {
    const w = parseCosignatureKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2');
    expect(w.name).toBe('remora.n621.de');
    expect(w.keyId.toString('hex')).toBe('da77ade7');
    // the same key under type 0x01 (a note key) is refused: the types do not mix
    expect(() => parseCosignatureKey('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6')).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }),
    );
    // a wrong key id is refused
    expect(() =>
      parseCosignatureKey('remora.n621.de+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2'),
    ).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'key-id-mismatch' }) }));
  });

  it('signs "cosignature/v1\\ntime <t>\\n" + the checkpoint body, timestamp big-endian before the signature (checked with node:crypto alone)', () => {
    const w = witness('witness.example.com/w1');
    const line = w.cosigner.cosign(text);
    expect(line.startsWith('— witness.example.com/w1 ')).toBe(true);
    const bytes = Buffer.from(line.slice('— witness.example.com/w1 '.length, -1), 'base64');
    expect(bytes.length).toBe(4 + 8 + 64);
    expect(bytes.subarray(0, 4)).toEqual(w.cosigner.keyId);
    expect(bytes.readBigUInt64BE(4)).toBe(BigInt(T));
    const vkey = w.verifierKey;
    const raw = Buffer.from(vkey.slice(vkey.indexOf('+', vkey.indexOf('+') + 1) + 1), 'base64');
    expect(raw[0]).toBe(0x04);
    const id = createHash('sha256').update('witness.example.com/w1\n').update(raw).digest().subarray(0, 4);
    expect(id).toEqual(w.cosigner.keyId);
    const publicKey = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw.subarray(1)]),
      format: 'der',
      type: 'spki',
    });
    const message = Buffer.from(`cosignature/v1\ntime ${T}\n${text}`);
    expect(verify(null, message, publicKey, bytes.subarray(12))).toBe(true);
  });
});

describe('verifyCosignatures', () => {
  const a = witness('w.example/a');
  const b = witness('w.example/b');
  const c = witness('w.example/c');
  const keys = [a.verifierKey, b.verifierKey, c.verifierKey];

  it('counts distinct given keys whose cosignature verifies, k of n', () => {
    const cosigned =
      note + a.cosigner.cosign(text) + b.cosigner.cosign(text) + a.cosigner.cosign(text, T - 5);
    const two = verifyCosignatures(cosigned, keys, { threshold: 2, now: T * 1000 });
    expect(two.ok).toBe(true);
    expect(two.cosignatures.map((s) => s.name).sort()).toEqual(['w.example/a', 'w.example/b']);
    expect(two.cosignatures.find((s) => s.name === 'w.example/a')?.timestamp).toBe(T);
    expect(two.checkpoint.size).toBe(20852163);
    expect(verifyCosignatures(cosigned, keys, { threshold: 3, now: T * 1000 }).ok).toBe(false);
    expect(verifyCosignatures(cosigned, keys, { now: T * 1000 }).ok).toBe(false); // default: all
  });

  it('ignores the log signature and unknown keys; a note without cosignatures has none', () => {
    const result = verifyCosignatures(note, keys, { threshold: 1, now: T * 1000 });
    expect(result).toMatchObject({ ok: false, cosignatures: [] });
  });

  it('refuses a cosignature over other text: another root, another size, an extension line', () => {
    const other = formatCheckpoint({
      origin: 'example.com/log',
      size: 20852164,
      rootHash: root,
      extensions: [],
    });
    const moved = note + a.cosigner.cosign(other);
    expect(verifyCosignatures(moved, keys, { threshold: 1, now: T * 1000 }).ok).toBe(false);
    const extended = formatCheckpoint({
      origin: 'example.com/log',
      size: 1,
      rootHash: root,
      extensions: ['x'],
    });
    const stripped = formatCheckpoint({ origin: 'example.com/log', size: 1, rootHash: root, extensions: [] });
    const line = a.cosigner.cosign(extended);
    expect(verifyCosignatures(`${stripped}\n${line}`, keys, { threshold: 1, now: T * 1000 }).ok).toBe(false);
    expect(verifyCosignatures(`${extended}\n${line}`, keys, { threshold: 1, now: T * 1000 }).ok).toBe(true);
  });

  it('refuses a cosignature dated more than 5 minutes ahead of the verifier clock', () => {
    const ahead = note + a.cosigner.cosign(text, T + 600);
    expect(verifyCosignatures(ahead, keys, { threshold: 1, now: T * 1000 }).ok).toBe(false);
    expect(verifyCosignatures(ahead, keys, { threshold: 1, now: (T + 600) * 1000 }).ok).toBe(true);
  });

  it('refuses bad thresholds and keys with WRIT_OPTIONS_INVALID', () => {
    for (const threshold of [0, 4, 1.5]) {
      expect(() => verifyCosignatures(note, keys, { threshold })).toThrow(
        expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }),
      );
    }
    expect(() => verifyCosignatures(note, [a.verifierKey, a.verifierKey])).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }),
    );
    expect(() => verifyCosignatures(note, [log.verifierKey])).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }),
    );
  });

  it('a malformed note throws WRIT_INPUT_INVALID', () => {
    expect(() => verifyCosignatures('not a note', keys)).toThrow(
      expect.objectContaining({ code: 'WRIT_INPUT_INVALID' }),
    );
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mangled, PETER_SKEY, PETER_VKEY, refusal } from './__support__/note-vectors.js';
import { openNote, signNote } from './signed-note.js';
import { createNoteSigner, generateNoteKeys } from './signer-key.js';
import { parseVerifierKey } from './verifier-key.js';

describe('signer keys', () => {
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

  it('refuses every truncation and every single-character change of a signer key, without echoing it', () => {
    const seed = PETER_SKEY.slice(-44);
    for (const skey of mangled(PETER_SKEY)) {
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

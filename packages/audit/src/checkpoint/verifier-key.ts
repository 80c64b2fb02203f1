import { createPublicKey, type KeyObject, verify as verifyBytes } from 'node:crypto';
import { WritError } from '@writ/core';
import { badVerifier, ED25519, KEY_ID_HEX, keyId, SPKI_ED25519, splitKey } from './key-id.js';
import { decodeBase64, isKeyName } from './text.js';

/**
 * Checks signatures by one key. Create with {@link parseVerifierKey}.
 *
 * @example
 * ```ts
 * const verifier: NoteVerifier = parseVerifierKey(pinnedVerifierKey);
 * const checkpoint = openCheckpoint(note, [verifier]);
 * ```
 */
export interface NoteVerifier {
  readonly name: string;
  /** The 4-byte key id. */
  readonly keyId: Buffer;
  /** True when `signature` (the bytes after the 4-byte key id) signs `text`; never throws. */
  verify(text: string, signature: Uint8Array): boolean;
}

/**
 * Parses a C2SP verifier key `<name>+<hex key id>+<base64(0x01 ‖ 32-byte public key)>`. Throws
 * `WRIT_OPTIONS_INVALID` when it is malformed, not Ed25519, or its key id does not match the name and key.
 *
 * @example
 * ```ts
 * const verifier = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
 * const { size, rootHash } = openCheckpoint(note, [verifier]);
 * ```
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, id, publicKey } = parseTypedVerifierKey(vkey, ED25519);
  return Object.freeze({
    name,
    keyId: id,
    verify(text: string, signature: Uint8Array): boolean {
      if (typeof text !== 'string' || !(signature instanceof Uint8Array) || signature.length !== 64) {
        return false;
      }
      try {
        return verifyBytes(null, Buffer.from(text, 'utf8'), publicKey, signature);
      } catch {
        return false;
      }
    },
  });
}

/**
 * Parses a C2SP verifier key `<name>+<hex key id>+<base64(type ‖ 32-byte Ed25519 public key)>` of
 * signature `type` (0x01 note keys, 0x04 `cosignature/v1` witness keys), checking its key id. Throws
 * `WRIT_OPTIONS_INVALID` with `details.reason` as {@link parseVerifierKey} does.
 *
 * @example
 * ```ts
 * const { name, id, publicKey } = parseTypedVerifierKey(witnessKey, ED25519_COSIGNATURE);
 * ```
 * @internal
 */
export function parseTypedVerifierKey(
  vkey: string,
  type: number,
): { name: string; id: Buffer; raw: Buffer; publicKey: KeyObject } {
  if (typeof vkey !== 'string') badVerifier('not-text', 'must be a string');
  const [name, idHex, encoded] = splitKey(vkey, 3);
  if (name === undefined || idHex === undefined || encoded === undefined) {
    badVerifier('malformed', 'expected <name>+<hex key id>+<base64 key>');
  }
  if (!isKeyName(name)) {
    badVerifier('bad-name', 'the key name is empty or has a space, "+" or control character');
  }
  if (!KEY_ID_HEX.test(idHex)) badVerifier('bad-key-id', 'the key id must be 8 hex digits');
  const typed = decodeBase64(encoded);
  if (typed === undefined || typed.length === 0) badVerifier('bad-key', 'the key is not standard base64');
  if (typed[0] !== type) {
    badVerifier(
      'unsupported-algorithm',
      `only Ed25519 keys of type 0x0${type.toString(16)} are supported here (this key has type 0x${typed[0]?.toString(16).padStart(2, '0')})`,
    );
  }
  if (typed.length !== 33) badVerifier('bad-key', 'an Ed25519 key is 32 bytes');
  const raw = typed.subarray(1);
  const id = keyId(name, raw, type);
  if (id.toString('hex') !== idHex.toLowerCase()) {
    badVerifier('key-id-mismatch', 'the key id does not match the name and public key');
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'parseVerifierKey: not a valid Ed25519 public key', {
      cause,
      details: { reason: 'bad-key' },
    });
  }
  return { name, id, raw, publicKey };
}

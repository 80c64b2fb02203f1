import { createHash, type KeyObject } from 'node:crypto';
import { WritError } from '@writ/core';
import { isKeyName } from './text.js';

/**
 * How C2SP signed notes name their keys (https://c2sp.org/signed-note), Ed25519 only: a key name, a key
 * id (the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)) and the encodings of signer
 * and verifier keys built from them. Shared by `signer-key.ts`, `verifier-key.ts` and `signed-note.ts`.
 */

/** Signature type byte of Ed25519 in C2SP signed notes. @internal */
export const ED25519 = 0x01;
/** Signature type byte of Ed25519 `cosignature/v1` keys (C2SP tlog-cosignature). @internal */
export const ED25519_COSIGNATURE = 0x04;
/** @internal */
export const KEY_ID_HEX = /^[0-9a-fA-F]{8}$/;
/** RFC 8410 DER wrapper for a raw Ed25519 public key (SPKI). @internal */
export const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * key id = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], type 0x01 (note signatures, the default) or
 * 0x04 (`cosignature/v1` witness keys).
 *
 * @example
 * ```ts
 * keyId('PeterNeumann', rawKey).toString('hex'); // 'c74f20a3'
 * ```
 * @internal
 */
export function keyId(name: string, rawKey: Uint8Array, type: number = ED25519): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.of(0x0a, type))
    .update(rawKey)
    .digest()
    .subarray(0, 4);
}

/** The verifier key `<name>+<hex key id>+<base64(type ‖ public key)>`, type 0x01 by default. @internal */
export function formatVerifierKey(
  name: string,
  id: Uint8Array,
  rawKey: Uint8Array,
  type: number = ED25519,
): string {
  return `${name}+${Buffer.from(id).toString('hex')}+${Buffer.concat([Buffer.of(type), rawKey]).toString('base64')}`;
}

/** What tells two keys apart in a note: the name and the key id, as `<name>+<hex id>`. @internal */
export function keyIdentity(name: string, id: Uint8Array): string {
  return `${name}+${Buffer.from(id).toString('hex')}`;
}

/** The 32 raw bytes of an Ed25519 public key. @internal */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  // an Ed25519 SPKI is a fixed 12-byte header followed by the 32-byte key
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
}

/** Splits `<a>+<b>+<rest>` at the first `parts - 1` plus signs (base64 may itself contain `+`). @internal */
export function splitKey(text: string, parts: number): (string | undefined)[] {
  const out: string[] = [];
  let rest = text;
  for (let i = 1; i < parts; i++) {
    const plus = rest.indexOf('+');
    if (plus < 0) return [];
    out.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  out.push(rest);
  return out;
}

/**
 * Whether `value` looks like a key holder: an object with a valid key `name`, a 4-byte `keyId` and a
 * function under `method` (`sign` for a `NoteSigner`, `verify` for a `NoteVerifier`). @internal
 */
export function isKeyHolder(value: unknown, method: 'sign' | 'verify'): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const holder = value as { name?: unknown; keyId?: unknown; sign?: unknown; verify?: unknown };
  return (
    isKeyName(holder.name) &&
    holder.keyId instanceof Uint8Array &&
    holder.keyId.length === 4 &&
    typeof holder[method] === 'function'
  );
}

/** Throws `WRIT_OPTIONS_INVALID` ("note signer: …", reason `bad-signer`). @internal */
export function badSigner(message: string): never {
  throw new WritError('WRIT_OPTIONS_INVALID', `note signer: ${message}`, {
    details: { reason: 'bad-signer' },
  });
}

/** Throws `WRIT_OPTIONS_INVALID` ("note verifier: …") with `details.reason`. @internal */
export function badVerifier(reason: string, message: string): never {
  throw new WritError('WRIT_OPTIONS_INVALID', `note verifier: ${message}`, { details: { reason } });
}

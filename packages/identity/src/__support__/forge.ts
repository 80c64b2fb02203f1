// Test support: builds JWTs byte by byte, including ones no honest signer would produce (alg none,
// HMAC keyed with a public key, forbidden headers, duplicate claims), to prove verifiers refuse them.
import { createHmac, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export type Signer =
  | { alg: 'EdDSA'; key: KeyObject }
  | { alg: 'RS256'; key: KeyObject }
  | { alg: 'HS256'; secret: Buffer }
  | { alg: 'none' };

/** Signs `header.payload` exactly as given (header/payload may be raw JSON text to allow duplicates). */
export function forge(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  signer: Signer,
): string {
  const h = b64(typeof header === 'string' ? header : JSON.stringify(header));
  const p = b64(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const input = `${h}.${p}`;
  let signature = '';
  if (signer.alg === 'EdDSA') signature = sign(null, Buffer.from(input), signer.key).toString('base64url');
  if (signer.alg === 'RS256')
    signature = sign('sha256', Buffer.from(input), signer.key).toString('base64url');
  if (signer.alg === 'HS256')
    signature = createHmac('sha256', signer.secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** The local authority's current private key, read from its key file (tests own the temp dir). */
export function authorityKey(dir: string): { key: KeyObject; kid: string; publicX: string } {
  const file = JSON.parse(readFileSync(join(dir, 'authority.json'), 'utf8'));
  const jwk = file.keys.find((k: { kid: string }) => k.kid === file.current);
  return { key: createPrivateKey({ key: jwk, format: 'jwk' }), kid: jwk.kid, publicX: jwk.x };
}

export function attackerEd25519(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

export function attackerRsa(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

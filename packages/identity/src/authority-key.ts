import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { WritError } from '@writ/core';
import { base64url, calculateJwkThumbprint, type JWK, type JWTPayload } from 'jose';
import { checkKeyFile, type KeyFile } from './local-authority.js';

/**
 * A signer for the local authority whose private key stays elsewhere (a KMS, an HSM, a signing
 * service): its public Ed25519 JWK and an asynchronous `sign` of the JWS signing input that returns the
 * raw 64-byte Ed25519 signature.
 *
 * @example
 * ```ts
 * const signer: RemoteJwtSigner = {
 *   publicJwk: JSON.parse(process.env.WRIT_AUTHORITY_PUBLIC_JWK ?? '{}'),
 *   sign: async (input) => {
 *     const res = await fetch('https://signer.internal/sign', { method: 'POST', body: input });
 *     return new Uint8Array(await res.arrayBuffer());
 *   },
 * };
 * const authority = await createLocalAuthority({ signer });
 * ```
 */
export interface RemoteJwtSigner {
  /** The public key (`kty: 'OKP'`, `crv: 'Ed25519'`, `x`); its RFC 7638 thumbprint is the `kid`. */
  readonly publicJwk: JWK;
  /** Signs the JWS signing input (`base64url(header).base64url(payload)`, ASCII); returns the raw signature. */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/**
 * The authority's keys from a secret's text (an environment variable): a private Ed25519 JWK (object or
 * JSON) or the JSON of an `authority.json` key file. Anything else is refused without echoing it.
 *
 * @internal
 */
export async function authorityKeyFromText(key: string | JWK): Promise<KeyFile> {
  let parsed: unknown = key;
  if (typeof key === 'string') {
    try {
      parsed = JSON.parse(key);
    } catch {
      throw badKey('it is not JSON');
    }
  }
  if (typeof parsed !== 'object' || parsed === null) throw badKey('it is not a JSON object');
  if ('keys' in parsed) return checkKeyFile(parsed as Partial<KeyFile>, 'given as key');
  const jwk = parsed as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.d !== 'string') {
    throw badKey('it is not a private Ed25519 JWK (kty OKP, crv Ed25519, x, d)');
  }
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JWK);
  const full: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d, kid, alg: 'EdDSA', use: 'sig' };
  return { v: 1, current: kid, keys: [full] };
}

/**
 * A compact JWS made with a remote signer: the signing input is sent to it, and its signature is
 * verified with the public key before the token is returned (a wrong key or a garbled answer is
 * `WRIT_IDENTITY_UNAVAILABLE`, reason `signer_failed`, never a token nobody can verify).
 *
 * @internal
 */
export async function remoteJwtSign(
  signer: RemoteJwtSigner,
  header: Record<string, unknown>,
  payload: JWTPayload,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const bytes = Buffer.from(input, 'ascii');
  let signature: Uint8Array;
  try {
    signature = await signer.sign(bytes);
  } catch (cause) {
    throw new WritError(
      'WRIT_IDENTITY_UNAVAILABLE',
      `the authority's remote signer failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { reason: 'signer_failed' } },
    );
  }
  const publicKey = createPublicKey({
    key: signer.publicJwk as import('node:crypto').JsonWebKey,
    format: 'jwk',
  });
  if (!(signature instanceof Uint8Array) || !verify(null, bytes, publicKey, signature)) {
    throw new WritError(
      'WRIT_IDENTITY_UNAVAILABLE',
      "the authority's remote signer returned a signature that does not verify with its public key",
      { details: { reason: 'signer_failed' } },
    );
  }
  return `${input}.${base64url.encode(signature)}`;
}

function badKey(why: string): WritError {
  return new WritError('WRIT_OPTIONS_INVALID', `createLocalAuthority: options.key is not usable: ${why}`, {
    details: { reason: 'key_malformed' },
  });
}

/**
 * A compact JWS signed in-process with the authority's Ed25519 key: `base64url(header).base64url(payload)`
 * of their `JSON.stringify` and the signature by `node:crypto`'s one-shot `sign` — the bytes jose's
 * `SignJWT` makes (Ed25519 signatures are deterministic; a differential test checks they are equal), at
 * half its CPU per token: jose signs through WebCrypto, a job per signature.
 *
 * @internal
 */
export function localJwtSign(header: Record<string, unknown>, payload: JWTPayload, key: KeyObject): string {
  return localJwtSignLater(header, payload, key)();
}

/**
 * {@link localJwtSign} with the signature made on the first call of the returned function: the header and
 * payload are encoded now (so nothing done to them afterwards changes the token) with the key given now,
 * and the bytes are those `localJwtSign` makes now (Ed25519 is deterministic). Later calls return the
 * same token.
 *
 * @internal
 */
export function localJwtSignLater(
  header: Record<string, unknown>,
  payload: JWTPayload,
  key: KeyObject,
): () => string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  let token: string | undefined;
  return () => {
    token ??= `${input}.${sign(null, Buffer.from(input, 'ascii'), key).toString('base64url')}`;
    return token;
  };
}

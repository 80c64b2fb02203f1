import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';

/** What the zero-config runtime publishes (`publicDir`, default `.writ/public`): the JWKS file's name. */
export const PUBLIC_JWKS_FILE = 'jwks.json';

/** JWK members that hold private key material (RFC 7517 / RFC 7518 §6): never in a public JWKS. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** A public JSON Web Key Set as read from published material. */
export interface PublicJwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/**
 * Reads a published public JWKS — `<dir>/jwks.json`, or the file itself — without touching the private
 * key directory, and refuses anything that is not a JWKS of public keys: a file holding a private member
 * (`d`, `k`, …) is `WRIT_IDENTITY_INVALID` and is not printed, so an export can never leak one.
 *
 * @example
 * ```ts
 * const jwks = await readPublicJwks('.writ/public'); // what the runtime published on start
 * ```
 */
export async function readPublicJwks(path: string): Promise<PublicJwks> {
  const file = (await stat(path)
    .then((s) => s.isDirectory())
    .catch(() => false))
    ? join(path, PUBLIC_JWKS_FILE)
    : path;
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new WritError(
      'WRIT_IDENTITY_UNAVAILABLE',
      `no published JWKS at ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); the Writ runtime writes it on start (publicDir)`,
    );
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WritError('WRIT_IDENTITY_INVALID', `${file} is not JSON: ${(error as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new WritError('WRIT_IDENTITY_INVALID', `${file} is not a JWKS (no "keys" array with a key)`);
  }
  keys.forEach((key: unknown, i) => {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') {
      throw new WritError('WRIT_IDENTITY_INVALID', `${file}: keys[${i}] is not a JWK`);
    }
    const secret = PRIVATE_MEMBERS.filter((m) => m in key);
    if (secret.length > 0) {
      throw new WritError(
        'WRIT_IDENTITY_INVALID',
        `${file}: keys[${i}] holds private key material (${secret.join(', ')}); refusing to export it`,
      );
    }
  });
  return { keys: keys as Readonly<Record<string, unknown>>[] };
}

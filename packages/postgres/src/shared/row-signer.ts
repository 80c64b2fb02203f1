import { createHmac, timingSafeEqual } from 'node:crypto';
import { WritError } from '@writ/core';
import { z } from 'zod';

/**
 * Signs and checks the rows the stores keep, so that a row edited in the table (a decision turned from
 * deny to allow, an answer forged, a settled call reset) is refused (`WRIT_STORE_TAMPERED`). Every
 * replica sharing the database holds the same signer.
 *
 * @example
 * ```ts
 * const signer: RowSigner = hmacRowSigner(process.env.WRIT_STORE_KEY as string);
 * ```
 */
export interface RowSigner {
  /** Names the key (kept beside each signature, so keys can rotate). */
  readonly keyId: string;
  sign(payload: string): string;
  /** Whether `signature` was made by this signer over exactly `payload`. */
  verify(payload: string, signature: string): boolean;
}

/**
 * An HMAC-SHA256 {@link RowSigner} over a secret every replica shares (from the same secret store as the
 * authority key; at least 32 bytes). HMAC, not the authority's Ed25519 key: rows are written and checked
 * by the same fleet, so a shared MAC key suffices, and checking a row costs microseconds.
 *
 * @example
 * ```ts
 * const signer = hmacRowSigner(process.env.WRIT_STORE_KEY as string); // e.g. `openssl rand -base64 32`
 * ```
 */
export function hmacRowSigner(secret: string | Uint8Array, options: { keyId?: string } = {}): RowSigner {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (key.length < 32) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'hmacRowSigner: the secret must be at least 32 bytes (e.g. `openssl rand -base64 32`)',
    );
  }
  const keyId =
    options.keyId ??
    `hmac-sha256:${createHmac('sha256', key).update('writ:key-id').digest('hex').slice(0, 16)}`;
  const mac = (payload: string) => createHmac('sha256', key).update(payload, 'utf8').digest('base64url');
  return {
    keyId,
    sign: mac,
    verify(payload, signature) {
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

/** The refusal for a row whose signature does not hold. */
export function tampered(store: string, what: string): WritError {
  return new WritError(
    'WRIT_STORE_TAMPERED',
    `${store}: ${what} fails its signature (edited outside Writ, or signed with another key): refused`,
    { details: { store, row: what } },
  );
}

/**
 * The zod schema of a `signer` option: anything with `sign` and `verify` (e.g. {@link hmacRowSigner}).
 *
 * @example
 * ```ts
 * const options = z.strictObject({ signer: rowSignerSchema }).parse({ signer: hmacRowSigner(secret) });
 * ```
 */
export const rowSignerSchema = z.custom<RowSigner>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as RowSigner).sign === 'function' &&
    typeof (v as RowSigner).verify === 'function',
  { message: 'must be a RowSigner (e.g. hmacRowSigner(secret))' },
);

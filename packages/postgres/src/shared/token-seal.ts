import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { WritError } from '@writ/core';
import { z } from 'zod';

/**
 * Seals the tokens a lease row must keep (RFC 7009 revocation needs the token itself) so that reading the
 * table yields no usable credential: AES-256-GCM under a key derived (HKDF-SHA256) from a secret the
 * fleet shares, bound to the credential's jti, revocation endpoint and client (a sealed token copied onto
 * another credential or endpoint does not open). @internal
 */
export interface TokenSealer {
  seal(token: string, binding: string): string;
  /** The token, or a `WritError` when the sealed text was altered, moved or sealed under another key. */
  open(sealed: string, binding: string): string;
}

const VERSION = 'v1';

/** A secret for {@link tokenSealer}: at least 32 bytes. @internal */
export const tokenKeySchema = z.string().min(32, { message: 'must be at least 32 bytes' });

/** @internal */
export function tokenSealer(secret: string): TokenSealer {
  if (Buffer.byteLength(secret, 'utf8') < 32) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'tokenKey: the secret must be at least 32 bytes');
  }
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'writ', 'writ lease tokens v1', 32),
  );
  return {
    seal(token, binding) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(binding, 'utf8'));
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return [VERSION, iv, sealed, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed, binding) {
      const [version, iv, body, tag, ...rest] = sealed.split('.');
      try {
        if (version !== VERSION || rest.length > 0 || !iv || !body || !tag)
          throw new Error('not a sealed token');
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(binding, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch (cause) {
        throw new WritError(
          'WRIT_STORE_TAMPERED',
          'a sealed lease token does not open: altered, moved to another credential, or sealed under another tokenKey',
          { cause, details: { reason: 'lease_token_unsealable' } },
        );
      }
    },
  };
}

/** What a sealed token is bound to. @internal */
export const tokenBinding = (c: { jti: string; revocationEndpoint?: string; clientId?: string }) =>
  `${c.jti}\u0000${c.revocationEndpoint ?? ''}\u0000${c.clientId ?? ''}`;

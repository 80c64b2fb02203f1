// Test support: a trust domain's JWT-SVID signing authority with real keys, minting real signed JWT-SVIDs
// (and byte-exact hostile ones) and publishing its keys as a SPIFFE JWT bundle (`use: "jwt-svid"`).
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { JWK } from 'jose';

export const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

export type TestAlg = 'RS256' | 'ES256' | 'PS256' | 'ES384';

export interface TestAuthority {
  readonly trustDomain: string;
  readonly kid: string;
  readonly alg: TestAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key as a JWK with `kid`, `use: "jwt-svid"` (as SPIRE publishes it). */
  readonly jwk: JWK;
  /** `{ keys: [jwk] }`. */
  jwks(): { keys: JWK[] };
  /** A JWT-SVID for `sub` (default `/agent/support`) and `aud` (default `['writ']`), valid for 5 minutes. */
  mint(claims?: Record<string, unknown>, header?: Record<string, unknown>): string;
  /** Signs header and payload given as exact JSON text (to forge duplicates, non-JSON payloads, …). */
  signRaw(headerText: string, payloadText: string, alg?: string): string;
}

const now = () => Math.floor(Date.now() / 1000);

export function createTestAuthority(
  trustDomain: string,
  options: { alg?: TestAlg; kid?: string } = {},
): TestAuthority {
  const alg = options.alg ?? 'ES256';
  const kid = options.kid ?? `${trustDomain}-${alg}-key`;
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'jwt-svid' };

  const signRaw = (headerText: string, payloadText: string, signAlg: string = alg): string => {
    const input = `${b64url(headerText)}.${b64url(payloadText)}`;
    const data = Buffer.from(input);
    let signature: Buffer;
    if (signAlg === 'ES256' || signAlg === 'ES384') {
      signature = sign(signAlg === 'ES256' ? 'sha256' : 'sha384', data, {
        key: pair.privateKey,
        dsaEncoding: 'ieee-p1363',
      });
    } else if (signAlg === 'PS256') {
      signature = sign('sha256', data, { key: pair.privateKey, padding: 6, saltLength: 32 });
    } else if (signAlg === 'RS256') {
      signature = sign('sha256', data, pair.privateKey);
    } else if (signAlg === 'none') {
      signature = Buffer.alloc(0);
    } else {
      throw new Error(`signRaw: unsupported alg ${signAlg}`);
    }
    return `${input}.${signature.toString('base64url')}`;
  };

  return {
    trustDomain,
    kid,
    alg,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    jwk,
    jwks: () => ({ keys: [{ ...jwk }] }),
    mint(claims = {}, header = {}) {
      const iat = now();
      const payload = {
        sub: `spiffe://${trustDomain}/agent/support`,
        aud: ['writ'],
        iat,
        exp: iat + 300,
        ...claims,
      };
      for (const [name, value] of Object.entries(payload))
        if (value === undefined) delete (payload as Record<string, unknown>)[name];
      const head: Record<string, unknown> = { alg, kid, typ: 'JWT', ...header };
      for (const [name, value] of Object.entries(head)) if (value === undefined) delete head[name];
      return signRaw(JSON.stringify(head), JSON.stringify(payload), String(head.alg));
    },
    signRaw,
  };
}

/** HS256 over `header.payload` keyed with `secret` (for the "HMAC keyed with the public key" attack). */
export function signHs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: Buffer,
): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** EdDSA (Ed25519) token: well signed, but an algorithm JWT-SVIDs must not use. */
export function signEdDsa(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/**
 * Records values (updates, errors) and lets a test wait until one matches. The timeout is only a safety
 * net so a broken test fails instead of hanging; no assertion depends on timing.
 */
export function createRecorder<T>(safetyNetMs = 10_000): {
  readonly values: T[];
  push: (value: T) => void;
  until: (predicate?: (value: T) => boolean) => Promise<T>;
} {
  const values: T[] = [];
  const waiters = new Set<{ predicate: (value: T) => boolean; resolve: (value: T) => void }>();
  return {
    values,
    push(value) {
      values.push(value);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(value)) {
          waiters.delete(waiter);
          waiter.resolve(value);
        }
      }
    },
    until(predicate = () => true) {
      const found = values.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<T>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (value: T) => {
            clearTimeout(timer);
            resolve(value);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`safety net: nothing matched within ${safetyNetMs} ms`));
        }, safetyNetMs);
        waiters.add(waiter);
      });
    },
  };
}

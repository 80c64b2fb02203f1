// The local authority signs with node:crypto directly (localJwtSign) rather than jose's SignJWT, for
// half the CPU per token. Ed25519 signatures are deterministic, so the two must produce the same bytes
// for any header and claims: checked against jose itself, and the tokens verify with jose's jwtVerify.
import { generateKeyPairSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect } from 'vitest';
import { localJwtSign } from './authority-key.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

const claims = fc.record(
  {
    iss: fc.string(),
    sub: fc.string(),
    aud: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })),
    jti: fc.uuid(),
    iat: fc.integer({ min: 0, max: 2_000_000_000 }),
    exp: fc.integer({ min: 2_000_000_001, max: 4_000_000_000 }),
    scope: fc.string(),
    act: fc.record({ sub: fc.string() }),
    tctx: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
  },
  { requiredKeys: ['jti', 'iat', 'exp'] },
);

describe('localJwtSign', () => {
  test.prop([claims, fc.constantFrom(undefined, 'JWT', 'txn+jwt', 'at+jwt'), fc.string({ maxLength: 43 })])(
    'makes the bytes jose SignJWT makes, and they verify',
    async (payload, typ, kid) => {
      const header: { alg: string; kid: string; typ?: string } = { alg: 'EdDSA', kid };
      if (typ !== undefined) header.typ = typ;
      const ours = localJwtSign(header, payload, privateKey);
      const jose = await new SignJWT(payload).setProtectedHeader(header).sign(privateKey);
      expect(ours).toBe(jose);
      const { payload: read } = await jwtVerify(ours, publicKey, {
        algorithms: ['EdDSA'],
        currentDate: new Date((payload.iat as number) * 1000),
      });
      expect(read).toEqual(payload);
    },
  );
});

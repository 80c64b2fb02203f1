import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { createLocalAuthority, type RemoteJwtSigner } from '@writ/identity';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-authority-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A fake remote signer (a KMS stand-in) over real HTTP on 127.0.0.1: POST the signing input, get the raw
// Ed25519 signature; `garble` makes it answer a signature that does not verify.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
let server: Server;
let url: string;
let garble = false;
let signed = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      signed++;
      const signature = sign(null, Buffer.concat(chunks), privateKey);
      if (garble) signature[5] = (signature[5] ?? 0) ^ 0x01;
      res.end(signature);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sign`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const remote: RemoteJwtSigner = {
  publicJwk: publicKey.export({ format: 'jwk' }),
  sign: async (input) => {
    const res = await fetch(url, { method: 'POST', body: input });
    return new Uint8Array(await res.arrayBuffer());
  },
};

describe('local authority keys for fleets', () => {
  it('create: false never makes up a key: a missing key is a typed deployment error; a provisioned one is used', async () => {
    const keys = join(dir, 'keys');
    const error = await createLocalAuthority({ dir: keys, create: false }).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_IDENTITY_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toEqual({ reason: 'authority_key_missing' });
    await expect(stat(keys)).rejects.toMatchObject({ code: 'ENOENT' }); // nothing was created
    const provisioned = await createLocalAuthority({ dir: keys });
    const replica = await createLocalAuthority({ dir: keys, create: false });
    expect(replica.kid).toBe(provisioned.kid);
  });

  it('takes its key from a secret (an environment variable): a private JWK or the text of authority.json, and refuses to rotate it', async () => {
    const keys = join(dir, 'keys');
    const original = await createLocalAuthority({ dir: keys });
    const text = await readFile(join(keys, 'authority.json'), 'utf8');
    const env = { WRIT_AUTHORITY_KEY: text };
    const fromFile = await createLocalAuthority({ key: env.WRIT_AUTHORITY_KEY, dir: join(dir, 'unused') });
    expect(fromFile.kid).toBe(original.kid);
    await expect(stat(join(dir, 'unused'))).rejects.toMatchObject({ code: 'ENOENT' });
    const token = await fromFile.sign({ sub: 'alice', iss: fromFile.issuer, aud: 'x' });
    await jwtVerify(token, original.keyResolver(), { algorithms: ['EdDSA'] });

    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const fromJwk = await createLocalAuthority({ key: JSON.stringify(jwk) });
    expect(fromJwk.jwks().keys[0]).toMatchObject({ x: jwk.x });
    expect(fromJwk.jwks().keys[0]).not.toHaveProperty('d');
    await expect(fromJwk.rotate()).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });

    const bad = await createLocalAuthority({ key: 'not-json-s3cret' }).catch((e: unknown) => e);
    expect((bad as WritError).code).toBe('WRIT_OPTIONS_INVALID');
    expect((bad as WritError).message).not.toContain('s3cret');
    const { d: _d, ...publicOnly } = jwk;
    await expect(createLocalAuthority({ key: publicOnly })).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    await expect(createLocalAuthority({ key: text, signer: remote })).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
  });

  it('signs through a remote signer over HTTP (async): tokens verify with its public JWKS; a bad signature is refused, typed', async () => {
    const authority = await createLocalAuthority({ signer: remote, trustDomain: 'fleet.example' });
    expect(authority.jwks().keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', x: remote.publicJwk.x, kid: authority.kid }),
    ]);
    const before = signed;
    const now = Math.floor(Date.now() / 1000);
    const token = await authority.sign(
      {
        iss: authority.issuer,
        sub: 'alice',
        aud: 'https://api',
        txn: 't1',
        iat: now,
        exp: now + 60,
        jti: 'j1',
      },
      { typ: 'txntoken+jwt' },
    );
    expect(signed).toBe(before + 1);
    const { payload, protectedHeader } = await jwtVerify(token, authority.keyResolver(), {
      algorithms: ['EdDSA'],
      issuer: 'spiffe://fleet.example',
      audience: 'https://api',
    });
    expect(payload.sub).toBe('alice');
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: authority.kid, typ: 'txntoken+jwt' });
    await expect(authority.rotate()).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });

    garble = true;
    try {
      const error = await authority.sign({ sub: 'alice' }).catch((e: unknown) => e);
      expect(WritError.isInstance(error, 'WRIT_IDENTITY_UNAVAILABLE')).toBe(true);
      expect((error as WritError).details).toEqual({ reason: 'signer_failed' });
    } finally {
      garble = false;
    }
  });
});

import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalAuthority } from '@writ/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyJwt } from './jwt.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-authority-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local authority', () => {
  it('creates an Ed25519 key on first use: directory 0700, key file 0600, public JWKS only', async () => {
    const keys = join(dir, '.writ', 'keys');
    const authority = await createLocalAuthority({ dir: keys });
    expect((await stat(keys)).mode & 0o777).toBe(0o700);
    expect((await stat(join(keys, 'authority.json'))).mode & 0o777).toBe(0o600);
    const jwks = authority.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: authority.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(authority.agentId('support-bot')).toBe('spiffe://writ.local/agent/support-bot');
    expect(() => authority.agentId('../etc')).toThrow(
      expect.objectContaining({ code: 'WRIT_SPIFFE_ID_INVALID' }),
    );
  });

  it('reuses the same key across instances and concurrent first use', async () => {
    const keys = join(dir, 'keys');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createLocalAuthority({ dir: keys })));
    expect(new Set([a?.kid, b?.kid, c?.kid]).size).toBe(1);
    const again = await createLocalAuthority({ dir: keys });
    expect(again.kid).toBe(a?.kid);
  });

  it('refuses a key file readable by others', async () => {
    const keys = join(dir, 'keys');
    await createLocalAuthority({ dir: keys });
    await chmod(join(keys, 'authority.json'), 0o644);
    await expect(createLocalAuthority({ dir: keys })).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'key_file_permissions' },
    });
  });

  it('rotates: new tokens use the new key, tokens signed before still verify', async () => {
    const keys = join(dir, 'keys');
    const authority = await createLocalAuthority({ dir: keys });
    const before = await authority.sign(
      { sub: 's', aud: 'a', exp: Math.floor(Date.now() / 1000) + 60 },
      { typ: 'JWT' },
    );
    const oldKid = authority.kid;
    const newKid = await authority.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(authority.jwks().keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    const verify = (token: string) =>
      verifyJwt(token, authority.keyResolver(), { what: 't', algorithms: ['EdDSA'], audience: 'a' });
    await expect(verify(before)).resolves.toMatchObject({ header: { kid: oldKid } });
    const after = await authority.sign({ sub: 's', aud: 'a', exp: Math.floor(Date.now() / 1000) + 60 });
    await expect(verify(after)).resolves.toMatchObject({ header: { kid: newKid } });
    // persisted: a new instance signs with the rotated key
    expect((await createLocalAuthority({ dir: keys })).kid).toBe(newKid);
    expect(JSON.parse(await readFile(join(keys, 'authority.json'), 'utf8')).current).toBe(newKid);
    expect((await stat(join(keys, 'authority.json'))).mode & 0o777).toBe(0o600);
  });
});

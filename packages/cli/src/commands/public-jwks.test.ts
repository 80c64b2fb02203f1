import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPublicJwks } from './public-jwks.js';

const PUBLIC_KEY = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  kid: 'k1',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-public-jwks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readPublicJwks', () => {
  it('reads <dir>/jwks.json, or the file named', async () => {
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [PUBLIC_KEY] }));
    await writeFile(join(dir, 'other.json'), JSON.stringify({ keys: [{ ...PUBLIC_KEY, kid: 'k2' }] }));
    expect(await readPublicJwks(dir)).toEqual({ keys: [PUBLIC_KEY] });
    expect((await readPublicJwks(join(dir, 'other.json'))).keys[0]?.kid).toBe('k2');
  });

  it.each([
    ['d', { ...PUBLIC_KEY, d: 'secret' }],
    ['k', { kty: 'oct', k: 'secret' }],
    ['p, q', { kty: 'RSA', n: 'n', e: 'AQAB', p: 'x', q: 'y' }],
  ])('refuses a key holding private material (%s)', async (members, key) => {
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [PUBLIC_KEY, key] }));
    await expect(readPublicJwks(dir)).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: expect.stringContaining(`keys[1] holds private key material (${members})`),
    });
  });

  it.each([
    ['not JSON', '{', 'is not JSON'],
    ['no keys', '{"keys":[]}', 'is not a JWKS'],
    ['not a JWK', '{"keys":[{"kid":"x"}]}', 'keys[0] is not a JWK'],
  ])('refuses a file that is %s', async (_case, text, message) => {
    await writeFile(join(dir, 'jwks.json'), text);
    await expect(readPublicJwks(dir)).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: expect.stringContaining(message),
    });
  });

  it('says where it looked when nothing was published', async () => {
    await expect(readPublicJwks(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
      message: expect.stringContaining('no published JWKS at'),
    });
  });
});

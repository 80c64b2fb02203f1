import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalAuthority } from './local-authority.js';
import { createLocalIdentity } from './local-identity.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-local-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createLocalIdentity: requester tokens', () => {
  it('a nonce binds the token to one request: it is signed into the token and comes back verified', async () => {
    const identity = createLocalIdentity({ authority: await createLocalAuthority({ dir }) });
    const signal = new AbortController().signal;
    const bound = await identity.issueRequesterToken({ sub: 'alice@example.com', nonce: 'sha256:abc' });
    const plain = await identity.issueRequesterToken({ sub: 'alice@example.com' });
    const alice = await identity.verifyRequester(bound, { signal });
    expect(alice).toMatchObject({
      id: 'alice@example.com',
      assurance: 'verified',
      claims: { nonce: 'sha256:abc' },
    });
    expect((await identity.verifyRequester(plain, { signal })).claims).not.toHaveProperty('nonce');
  });
});

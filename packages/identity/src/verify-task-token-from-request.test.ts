import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from './__support__/failure.js';
import { createLocalAuthority, type LocalAuthority } from './local-authority.js';
import { mintTaskToken } from './mint-task-token.js';
import { verifyTaskTokenFromRequest } from './verify-task-token-from-request.js';

let dir: string;
let authority: LocalAuthority;
let token: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-task-token-request-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
  ({ token } = await mintTaskToken(authority, {
    attribution: {
      taskId: 'task-3',
      correlationId: 'corr-3',
      autonomous: true,
      chain: [{ kind: 'agent', id: 'spiffe://example.org/agent/cron', assurance: 'verified' }],
      scope: ['reports:read'],
    },
    audience: 'https://reports.example.com',
    ttlSec: 60,
  }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = () => ({
  issuer: authority.issuer,
  audience: 'https://reports.example.com',
  jwks: authority.jwks(),
});

describe('verifyTaskTokenFromRequest', () => {
  it('reads Txn-Token from Fetch headers and Node header records whatever the case, trimmed', async () => {
    const requests = [
      new Request('https://reports.example.com/', { headers: { 'Txn-Token': ` ${token} ` } }),
      { headers: new Headers({ 'txn-token': token }) },
      { headers: { 'TXN-TOKEN': token } },
      { headers: { 'txn-token': [token] } },
    ];
    for (const request of requests) {
      await expect(verifyTaskTokenFromRequest(request, options())).resolves.toMatchObject({
        taskId: 'task-3',
      });
    }
  });

  it('a repeated Txn-Token header counts as none; a bearer token stands in only when allowed', async () => {
    const repeated = { headers: { 'txn-token': [token, token] } };
    const missing = await failure(verifyTaskTokenFromRequest(repeated, options()));
    expect(missing).toMatchObject({
      code: 'WRIT_TOKEN_INVALID',
      message: 'task token refused: the request carries no task token',
      details: { token: 'task token', reason: 'missing' },
    });
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    expect((await failure(verifyTaskTokenFromRequest(bearer, options()))).details.reason).toBe('missing');
    await expect(
      verifyTaskTokenFromRequest(bearer, { ...options(), allowBearer: true }),
    ).resolves.toMatchObject({
      taskId: 'task-3',
    });
    // Txn-Token wins over Authorization when both are present
    const both = { headers: { authorization: 'Bearer not-a-jwt', 'txn-token': token } };
    await expect(
      verifyTaskTokenFromRequest(both, { ...options(), allowBearer: true }),
    ).resolves.toBeDefined();
  });

  it('passes the other options on to verifyTaskToken', async () => {
    const request = { headers: { 'txn-token': token } };
    const wrongAudience = await failure(
      verifyTaskTokenFromRequest(request, { ...options(), audience: 'https://elsewhere.example.com' }),
    );
    expect(wrongAudience.code).toBe('WRIT_AUDIENCE_MISMATCH');
  });
});

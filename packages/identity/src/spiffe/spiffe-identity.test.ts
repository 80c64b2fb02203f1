import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure as refusal } from '../__support__/failure.js';
import { createFakeWorkloadApi, type FakeWorkloadApi } from './__support__/fake-workload-api.js';
import { createTestAuthority, type TestAuthority } from './__support__/svid-fixtures.js';
import { createJwtSvidFileSource } from './jwt-svid-file.js';
import { createSpiffeIdentity, type SpiffeIdentity, type SpiffeIdentityOptions } from './spiffe-identity.js';
import { createWorkloadApiClient, type WorkloadApiClient } from './workload-api-client.js';

const SERVER =
  'against a Workload API server built from the published workload.proto (no SPIRE agent can run here)';

let example: TestAuthority;
let attacker: TestAuthority;
let fake: FakeWorkloadApi;
let client: WorkloadApiClient;
const cleanups: (() => unknown)[] = [];

const svidFor = (path: string, extra: Record<string, unknown> = {}) => ({
  spiffeId: `spiffe://example.org${path}`,
  mint: (aud: string[]) => example.mint({ sub: `spiffe://example.org${path}`, aud, ...extra }),
});

beforeAll(() => {
  example = createTestAuthority('example.org', { alg: 'ES256', kid: 'spire-1' });
  attacker = createTestAuthority('example.org', { alg: 'ES256', kid: 'spire-1' });
});

beforeEach(async () => {
  fake = createFakeWorkloadApi();
  fake.svids = [svidFor('/agent/support'), svidFor('/agent/billing')];
  fake.setBundles({ 'spiffe://example.org': example.jwks() });
  await fake.start();
  client = createWorkloadApiClient({ endpoint: fake.endpoint, retry: { initialDelayMs: 2, maxDelayMs: 20 } });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  client.close();
  await fake.dispose();
});

function identity(options: Partial<SpiffeIdentityOptions> = {}): SpiffeIdentity {
  const created = createSpiffeIdentity({ client, audience: 'writ', ...options } as SpiffeIdentityOptions);
  cleanups.push(() => created.close());
  return created;
}

const call = () => ({ signal: new AbortController().signal });

describe(`createSpiffeIdentity with the Workload API ${SERVER}`, () => {
  it('returns the verified agent principal of the SVID whose path is /agent/<name>', async () => {
    const principal = await identity().agentIdentity('billing', call());
    expect(principal).toMatchObject({
      kind: 'agent',
      id: 'spiffe://example.org/agent/billing',
      name: 'billing',
      issuer: 'spiffe://example.org',
      assurance: 'verified',
    });
    expect(principal.claims).toMatchObject({ sub: 'spiffe://example.org/agent/billing', aud: ['writ'] });
    expect(fake.calls.filter((c) => c.method === 'FetchJWTSVID').map((c) => c.request)).toEqual([
      { audience: ['writ'], spiffe_id: '' },
    ]);
  });

  it('maps agent names through options.agents, asking the agent for that SPIFFE ID only', async () => {
    const provider = identity({ agents: { triage: 'spiffe://example.org/agent/support' } });
    const principal = await provider.agentIdentity('triage', call());
    expect(principal.id).toBe('spiffe://example.org/agent/support');
    expect(principal.name).toBe('triage');
    expect(fake.calls.find((c) => c.method === 'FetchJWTSVID')?.request).toEqual({
      audience: ['writ'],
      spiffe_id: 'spiffe://example.org/agent/support',
    });
  });

  it('falls back to the single SVID of a one-identity workload, and refuses when several match nothing', async () => {
    fake.svids = [svidFor('/ns/prod/sa/assistant')];
    expect((await identity().agentIdentity('anything', call())).id).toBe(
      'spiffe://example.org/ns/prod/sa/assistant',
    );

    fake.svids = [svidFor('/agent/support'), svidFor('/agent/billing')];
    const error = await refusal(identity().agentIdentity('refunds', call()));
    expect(error).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'no_svid_for_agent', agent: 'refunds' },
    });
    expect(error.details.available).toEqual([
      'spiffe://example.org/agent/support',
      'spiffe://example.org/agent/billing',
    ]);
  });

  it('refuses an SVID signed by a key outside the trust bundle', async () => {
    fake.svids = [
      {
        spiffeId: 'spiffe://example.org/agent/support',
        mint: (aud) => attacker.mint({ sub: 'spiffe://example.org/agent/support', aud }),
      },
    ];
    const error = await refusal(identity().agentIdentity('support', call()));
    expect(error).toMatchObject({ code: 'WRIT_TOKEN_INVALID', details: { reason: 'bad_signature' } });
  });

  it('refuses an SVID for another audience, or whose sub differs from the SPIFFE ID the agent reported', async () => {
    fake.svids = [
      { spiffeId: 'spiffe://example.org/agent/support', mint: () => example.mint({ aud: ['elsewhere'] }) },
    ];
    expect((await refusal(identity().agentIdentity('support', call()))).code).toBe('WRIT_AUDIENCE_MISMATCH');

    fake.svids = [
      {
        spiffeId: 'spiffe://example.org/agent/support',
        mint: (aud) => example.mint({ sub: 'spiffe://example.org/agent/admin', aud }),
      },
    ];
    const mismatch = await refusal(identity().agentIdentity('support', call()));
    expect(mismatch.details).toMatchObject({
      reason: 'spiffe_id_mismatch',
      actual: 'spiffe://example.org/agent/admin',
    });
  });

  it('refuses trust domains it was not told to accept', async () => {
    const error = await refusal(identity({ trustDomains: ['partner.io'] }).agentIdentity('support', call()));
    expect(error).toMatchObject({
      code: 'WRIT_ISSUER_MISMATCH',
      details: { reason: 'trust_domain_not_accepted' },
    });
  });

  it('surfaces agent refusals and reopens the bundle watch on the next call', async () => {
    fake.failNext('FetchJWTBundles', 1, status.PERMISSION_DENIED);
    const provider = identity();
    expect((await refusal(provider.agentIdentity('support', call()))).code).toBe('WRIT_IDENTITY_INVALID');
    expect((await provider.agentIdentity('support', call())).id).toBe('spiffe://example.org/agent/support');
    expect(fake.calls.filter((c) => c.method === 'FetchJWTBundles')).toHaveLength(2);
  });

  it('honours the abort signal', async () => {
    const error = await refusal(identity().agentIdentity('support', { signal: AbortSignal.abort() }));
    expect(error.code).toBe('WRIT_ABORTED');
  });

  it('validates options eagerly', () => {
    expect(() => createSpiffeIdentity({ audience: 'writ' })).toThrow(/exactly one of "client"/);
    expect(() =>
      createSpiffeIdentity({ audience: 'writ', client, agents: { bad: 'spiffe://Example.org/x' } }),
    ).toThrow(/options\.agents\.bad: invalid SPIFFE ID/);
    expect(() => createSpiffeIdentity({ audience: '', client })).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }),
    );
  });
});

describe('createSpiffeIdentity with a JWT-SVID file source', () => {
  it('returns the agent principal from the sidecar-written SVID and bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writ-spiffe-id-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'svid.token'),
      example.mint({ sub: 'spiffe://example.org/agent/support', aud: ['writ'] }),
    );
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ 'example.org': example.jwks() }));
    const files = await createJwtSvidFileSource({
      svidPath: join(dir, 'svid.token'),
      bundlePath: join(dir, 'bundle.json'),
      watch: 'off',
    });
    cleanups.push(() => files.close());
    const provider = createSpiffeIdentity({
      files,
      audience: 'writ',
      agents: { support: 'spiffe://example.org/agent/support' },
    });
    const principal = await provider.agentIdentity('support', call());
    expect(principal).toMatchObject({
      id: 'spiffe://example.org/agent/support',
      issuer: 'spiffe://example.org',
      assurance: 'verified',
    });
    const wrongAudience = createSpiffeIdentity({ files, audience: 'payments' });
    expect((await refusal(wrongAudience.agentIdentity('support', call()))).code).toBe(
      'WRIT_AUDIENCE_MISMATCH',
    );
  });
});

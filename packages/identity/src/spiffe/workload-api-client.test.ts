import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { WritError } from '@writ/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import { createFakeWorkloadApi, type FakeWorkloadApi } from './__support__/fake-workload-api.js';
import { createRecorder, createTestAuthority, type TestAuthority } from './__support__/svid-fixtures.js';
import type { JwtBundleSet } from './jwt-bundle.js';
import { validateJwtSvid } from './jwt-svid.js';
import {
  createWorkloadApiClient,
  type WorkloadApiClient,
  type WorkloadApiClientOptions,
} from './workload-api-client.js';

const SERVER =
  'against a Workload API server built from the published workload.proto (no SPIRE agent can run here)';

let example: TestAuthority;
let partner: TestAuthority;
let fake: FakeWorkloadApi;
const clients: WorkloadApiClient[] = [];

beforeAll(() => {
  example = createTestAuthority('example.org', { alg: 'ES256' });
  partner = createTestAuthority('partner.io', { alg: 'RS256' });
});

beforeEach(async () => {
  fake = createFakeWorkloadApi();
  fake.svids = [
    {
      spiffeId: 'spiffe://example.org/agent/support',
      mint: (aud) => example.mint({ sub: 'spiffe://example.org/agent/support', aud }),
    },
    {
      spiffeId: 'spiffe://example.org/agent/billing',
      mint: (aud) => example.mint({ sub: 'spiffe://example.org/agent/billing', aud }),
      hint: 'billing',
    },
  ];
  fake.setBundles({ 'spiffe://example.org': example.jwks(), 'spiffe://partner.io': partner.jwks() });
  await fake.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await fake.dispose();
});

function client(options: WorkloadApiClientOptions = {}): WorkloadApiClient {
  const created = createWorkloadApiClient({
    endpoint: fake.endpoint,
    retry: { initialDelayMs: 2, maxDelayMs: 40 },
    ...options,
  });
  clients.push(created);
  return created;
}

const callsOf = (method: string) => fake.calls.filter((call) => call.method === method);

describe(`createWorkloadApiClient ${SERVER}`, () => {
  it('fetches a real signed JWT-SVID for the audience, sending workload.spiffe.io: true', async () => {
    const svid = await client().fetchJwtSvid({ audience: 'writ' });
    expect(svid.spiffeId).toBe('spiffe://example.org/agent/support');
    const watch = clients[0]?.watchJwtBundles();
    const validated = await validateJwtSvid(svid.token, {
      audience: 'writ',
      bundles: await (watch?.ready() as Promise<JwtBundleSet>),
    });
    expect(validated.spiffeId.toString()).toBe('spiffe://example.org/agent/support');
    expect(callsOf('FetchJWTSVID')).toEqual([
      { method: 'FetchJWTSVID', header: 'true', request: { audience: ['writ'], spiffe_id: '' } },
    ]);
    expect(fake.calls.every((call) => call.header === 'true')).toBe(true);
  });

  it('fetches every SVID with hints, or only the requested SPIFFE ID', async () => {
    const c = client();
    const all = await c.fetchJwtSvids({ audience: ['writ', 'audit'] });
    expect(all.map((s) => [s.spiffeId, s.hint])).toEqual([
      ['spiffe://example.org/agent/support', undefined],
      ['spiffe://example.org/agent/billing', 'billing'],
    ]);
    const one = await c.fetchJwtSvid({ audience: 'writ', spiffeId: 'spiffe://example.org/agent/billing' });
    expect(one.spiffeId).toBe('spiffe://example.org/agent/billing');
    expect(callsOf('FetchJWTSVID')[1]?.request).toEqual({
      audience: ['writ'],
      spiffe_id: 'spiffe://example.org/agent/billing',
    });
  });

  it('the server refuses a raw call without the workload.spiffe.io header (INVALID_ARGUMENT)', async () => {
    const raw = new fake.Service(`unix:${fake.socketPath}`, credentials.createInsecure()) as unknown as {
      FetchJWTSVID: (req: object, md: Metadata, cb: (error: ServiceError | null) => void) => void;
      close: () => void;
    };
    const error = await new Promise<ServiceError | null>((resolve) =>
      raw.FetchJWTSVID({ audience: ['writ'] }, new Metadata(), (e) => resolve(e)),
    );
    raw.close();
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(fake.calls).toEqual([
      { method: 'FetchJWTSVID', header: undefined, request: { audience: ['writ'], spiffe_id: '' } },
    ]);
    // the same call through the client carries the header and succeeds
    await expect(client().fetchJwtSvid({ audience: 'writ' })).resolves.toMatchObject({
      spiffeId: 'spiffe://example.org/agent/support',
    });
  });

  it('retries UNAVAILABLE with backoff until the agent answers', async () => {
    fake.failNext('FetchJWTSVID', 2, status.UNAVAILABLE);
    const svid = await client().fetchJwtSvid({ audience: 'writ' });
    expect(svid.spiffeId).toBe('spiffe://example.org/agent/support');
    expect(callsOf('FetchJWTSVID')).toHaveLength(3);
  });

  it('gives up after the bounded attempts with WRIT_IDENTITY_UNAVAILABLE', async () => {
    fake.failNext('FetchJWTSVID', 10, status.UNAVAILABLE);
    const error = await failure(
      client({ retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 } }).fetchJwtSvid({
        audience: 'writ',
      }),
    );
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details).toMatchObject({ grpcCode: 'UNAVAILABLE', attempts: 3, method: 'FetchJWTSVID' });
    expect(callsOf('FetchJWTSVID')).toHaveLength(3);
  });

  it('does not retry INVALID_ARGUMENT or PERMISSION_DENIED (WRIT_IDENTITY_INVALID)', async () => {
    fake.failNext('FetchJWTSVID', 1, status.INVALID_ARGUMENT);
    const invalid = await failure(client().fetchJwtSvid({ audience: 'writ' }));
    expect(invalid.code).toBe('WRIT_IDENTITY_INVALID');
    expect(invalid.details).toMatchObject({ reason: 'invalid_argument', attempts: 1 });
    expect(callsOf('FetchJWTSVID')).toHaveLength(1);

    const denied = await failure(
      client().fetchJwtSvid({ audience: 'writ', spiffeId: 'spiffe://example.org/agent/nobody' }),
    );
    expect(denied.code).toBe('WRIT_IDENTITY_INVALID');
    expect(denied.details).toMatchObject({ reason: 'permission_denied', attempts: 1 });
    expect(callsOf('FetchJWTSVID')).toHaveLength(2);
  });

  it('reports an unreachable agent as WRIT_IDENTITY_UNAVAILABLE after retrying', async () => {
    await fake.stop();
    const error = await failure(
      client({ retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 } }).fetchJwtSvid({
        audience: 'writ',
      }),
    );
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.details).toMatchObject({ grpcCode: 'UNAVAILABLE', attempts: 2 });
  });

  it('stops waiting when the signal aborts, even between retries', async () => {
    const controller = new AbortController();
    fake.failNext('FetchJWTSVID', 10, status.UNAVAILABLE);
    const c = client({
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => {
        controller.abort(new Error('caller gave up'));
        return 0.5;
      },
    });
    const error = await failure(c.fetchJwtSvid({ audience: 'writ', signal: controller.signal }));
    expect(error.code).toBe('WRIT_ABORTED');
    expect(callsOf('FetchJWTSVID')).toHaveLength(1);
    expect((await failure(c.fetchJwtSvid({ audience: 'writ', signal: AbortSignal.abort() }))).code).toBe(
      'WRIT_ABORTED',
    );
  });

  it('asks the agent to validate a JWT-SVID and returns its claims (ValidateJWTSVID)', async () => {
    const token = example.mint({
      sub: 'spiffe://example.org/agent/support',
      aud: ['writ'],
      tier: 'gold',
      n: 2,
      ok: true,
      tags: ['a'],
    });
    const result = await client().validateJwtSvid(token, { audience: 'writ' });
    expect(result.spiffeId).toBe('spiffe://example.org/agent/support');
    expect(result.claims).toMatchObject({
      sub: 'spiffe://example.org/agent/support',
      aud: ['writ'],
      tier: 'gold',
      n: 2,
      ok: true,
      tags: ['a'],
    });
    const refused = await failure(client().validateJwtSvid(token, { audience: 'someone-else' }));
    expect(refused.code).toBe('WRIT_IDENTITY_INVALID');
  });

  it('reads the endpoint from SPIFFE_ENDPOINT_SOCKET (unix:/path form too) and refuses bad or missing ones', async () => {
    const fromEnv = client({
      endpoint: undefined,
      env: { SPIFFE_ENDPOINT_SOCKET: `unix:${fake.socketPath}` },
    });
    expect(fromEnv.endpoint).toEqual({
      transport: 'unix',
      address: fake.socketPath,
      target: `unix:${fake.socketPath}`,
    });
    await expect(fromEnv.fetchJwtSvid({ audience: 'writ' })).resolves.toBeDefined();

    const bad = (() => {
      try {
        createWorkloadApiClient({ env: { SPIFFE_ENDPOINT_SOCKET: 'http://127.0.0.1:80' } });
      } catch (error) {
        return error as WritError;
      }
    })();
    expect(bad?.code).toBe('WRIT_OPTIONS_INVALID');
    expect(bad?.message).toMatch(/^SPIFFE_ENDPOINT_SOCKET: /);
    expect(() => createWorkloadApiClient({ env: {} })).toThrow(/SPIFFE_ENDPOINT_SOCKET/);
    expect(() => createWorkloadApiClient({ endpoint: fake.endpoint, retry: { maxAttempts: 0 } })).toThrow(
      /options\.retry\.maxAttempts/,
    );
  });

  it('fails closed calls with WRIT_IDENTITY_UNAVAILABLE', async () => {
    const c = client();
    c.close();
    const error = await failure(c.fetchJwtSvid({ audience: 'writ' }));
    expect(error.details.reason).toBe('closed');
  });
});

describe(`watchJwtBundles ${SERVER}`, () => {
  it('applies each message as the full set: a trust domain missing from a later message is removed', async () => {
    const updates = createRecorder<string[]>();
    const watch = client().watchJwtBundles((set) => updates.push(set.trustDomains()));
    const bundles = await watch.ready();
    expect(bundles.trustDomains()).toEqual(['example.org', 'partner.io']);
    const partnerToken = partner.mint({ sub: 'spiffe://partner.io/agent/x' });
    await expect(validateJwtSvid(partnerToken, { audience: 'writ', bundles })).resolves.toBeDefined();

    fake.setBundles({ 'spiffe://example.org': example.jwks() });
    await updates.until((tds) => tds.length === 1);
    expect(watch.bundles.trustDomains()).toEqual(['example.org']);
    const error = await failure(validateJwtSvid(partnerToken, { audience: 'writ', bundles: watch.bundles }));
    expect(error.details.reason).toBe('no_bundle');
    expect(callsOf('FetchJWTBundles').every((call) => call.header === 'true')).toBe(true);
  });

  it('reconnects after the server restarts and picks up the new bundles', async () => {
    const updates = createRecorder<string[]>();
    const errors = createRecorder<WritError>();
    const watch = client().watchJwtBundles((set) => updates.push(set.trustDomains()), {
      onError: errors.push,
    });
    await watch.ready();

    await fake.stop();
    const broken = await errors.until();
    expect(broken.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(watch.bundles.trustDomains()).toEqual(['example.org', 'partner.io']); // last known bundles stay in force

    fake.setBundles({ 'spiffe://partner.io': partner.jwks(), 'spiffe://third.example': example.jwks() });
    await fake.start();
    await updates.until((tds) => tds.includes('third.example'));
    expect(watch.bundles.trustDomains()).toEqual(['partner.io', 'third.example']);
    expect(callsOf('FetchJWTBundles').length).toBeGreaterThanOrEqual(2);
  });

  it('discards a malformed message, reports it and keeps the previous bundles', async () => {
    const errors = createRecorder<WritError>();
    const updates = createRecorder<string[]>();
    const watch = client().watchJwtBundles((set) => updates.push(set.trustDomains()), {
      onError: errors.push,
    });
    await watch.ready();
    fake.setBundles({ 'spiffe://example.org': '{"keys": [' });
    const error = await errors.until();
    expect(error).toMatchObject({ code: 'WRIT_IDENTITY_INVALID', details: { reason: 'not_json' } });
    expect(watch.bundles.trustDomains()).toEqual(['example.org', 'partner.io']);
    fake.setBundles({ 'spiffe://partner.io': partner.jwks() });
    await updates.until((tds) => tds.length === 1);
    expect(watch.bundles.trustDomains()).toEqual(['partner.io']);
  });

  it('does not reconnect after INVALID_ARGUMENT; ready() rejects with WRIT_IDENTITY_INVALID', async () => {
    fake.failNext('FetchJWTBundles', 1, status.INVALID_ARGUMENT);
    const c = client();
    const watch = c.watchJwtBundles();
    const error = await failure(watch.ready());
    expect(error).toMatchObject({ code: 'WRIT_IDENTITY_INVALID', details: { grpcCode: 'INVALID_ARGUMENT' } });
    await c.fetchJwtSvid({ audience: 'writ' }); // a later round trip: no second stream was opened meanwhile
    expect(callsOf('FetchJWTBundles')).toHaveLength(1);
  });

  it('drops every bundle and stops when the agent answers PERMISSION_DENIED', async () => {
    const updates = createRecorder<string[]>();
    const errors = createRecorder<WritError>();
    const watch = client().watchJwtBundles((set) => updates.push(set.trustDomains()), {
      onError: errors.push,
    });
    await watch.ready();
    fake.endStreams(status.PERMISSION_DENIED, 'workload no longer entitled');
    await updates.until((tds) => tds.length === 0);
    expect(watch.bundles.size).toBe(0);
    expect((await errors.until()).details).toMatchObject({ grpcCode: 'PERMISSION_DENIED' });
  });

  it('close() ends the watch and rejects pending ready() calls; an aborted signal closes it too', async () => {
    await fake.stop();
    const c = client();
    const watch = c.watchJwtBundles();
    const pending = watch.ready();
    watch.close();
    expect((await failure(pending)).details.reason).toBe('closed');

    const controller = new AbortController();
    const second = c.watchJwtBundles(undefined, { signal: controller.signal });
    const waiting = second.ready();
    controller.abort();
    expect((await failure(waiting)).details.reason).toBe('closed');

    const third = c.watchJwtBundles();
    const aborted = await failure(third.ready({ signal: AbortSignal.abort() }));
    expect(aborted.code).toBe('WRIT_ABORTED');
  });
});

import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import {
  connectToFake,
  createFakeWorkloadApi,
  type FakeWorkloadApi,
} from './__support__/fake-workload-api.js';
import { createTestAuthority } from './__support__/svid-fixtures.js';
import {
  grpcFailure,
  malformed,
  WORKLOAD_API_HEADER,
  type WorkloadApiConnection,
  type WorkloadApiConnectionSettings,
} from './workload-api-connection.js';

const SERVER = 'against a Workload API server built from the published workload.proto';

let fake: FakeWorkloadApi;
const opened: WorkloadApiConnection[] = [];

function connect(overrides: Partial<WorkloadApiConnectionSettings> = {}): WorkloadApiConnection {
  const connection = connectToFake(fake, { maxAttempts: 4, ...overrides });
  opened.push(connection);
  return connection;
}

const fetchSvid =
  (audience = 'writ') =>
  (connection: WorkloadApiConnection, signal?: AbortSignal) =>
    connection.unary<{ svids?: unknown[] }>('FetchJWTSVID', signal, (client, md, co, cb) =>
      client.FetchJWTSVID({ audience: [audience], spiffe_id: '' }, md, co, cb),
    );

beforeEach(async () => {
  fake = createFakeWorkloadApi();
  const example = createTestAuthority('example.org');
  fake.svids = [{ spiffeId: 'spiffe://example.org/agent/support', mint: (aud) => example.mint({ aud }) }];
  await fake.start();
});

afterEach(async () => {
  for (const connection of opened.splice(0)) connection.close();
  await fake.dispose();
});

describe('the Workload API connection: backoff, metadata, failure mapping', () => {
  it('every request carries workload.spiffe.io: true', async () => {
    expect(WORKLOAD_API_HEADER).toBe('workload.spiffe.io');
    expect((await connect().metadata()).get(WORKLOAD_API_HEADER)).toEqual(['true']);
  });

  it('backs off exponentially with equal jitter, capped at maxDelayMs', () => {
    let r = 0;
    const connection = connect({ initialDelayMs: 100, maxDelayMs: 1_000, random: () => r });
    expect([0, 1, 2, 3, 4, 40].map((attempt) => connection.backoff(attempt))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    r = 0.999_999;
    expect([0, 1, 2, 3, 4, 40].map((attempt) => connection.backoff(attempt))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('maps refusals to WRIT_IDENTITY_INVALID and everything else to WRIT_IDENTITY_UNAVAILABLE', () => {
    const refused = grpcFailure(status.PERMISSION_DENIED, 'no identity issued', 'FetchJWTSVID', 1);
    expect(refused).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: 'SPIFFE Workload API FetchJWTSVID failed: PERMISSION_DENIED (no identity issued)',
      details: {
        reason: 'permission_denied',
        grpcCode: 'PERMISSION_DENIED',
        method: 'FetchJWTSVID',
        attempts: 1,
      },
    });
    expect(grpcFailure(status.INVALID_ARGUMENT, '', 'ValidateJWTSVID', 1).code).toBe('WRIT_IDENTITY_INVALID');
    const unavailable = grpcFailure(status.UNAVAILABLE, '', 'FetchJWTBundles', 3);
    expect(unavailable.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(unavailable.message).toBe(
      'SPIFFE Workload API FetchJWTBundles failed: UNAVAILABLE after 3 attempts',
    );
    expect(grpcFailure(status.DEADLINE_EXCEEDED, '', 'FetchJWTSVID', 1).details.reason).toBe(
      'deadline_exceeded',
    );
    expect(malformed('FetchJWTSVID', 'no JWT-SVID')).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'malformed_response', method: 'FetchJWTSVID' },
    });
  });
});

describe(`unary calls ${SERVER}`, () => {
  it('sends the header and returns the answer', async () => {
    const answer = await fetchSvid()(connect());
    expect(answer.svids).toHaveLength(1);
    expect(fake.calls).toEqual([
      { method: 'FetchJWTSVID', header: 'true', request: { audience: ['writ'], spiffe_id: '' } },
    ]);
  });

  it('retries UNAVAILABLE up to maxAttempts, then names the attempts', async () => {
    fake.failNext('FetchJWTSVID', 2, status.UNAVAILABLE);
    await expect(fetchSvid()(connect({ maxAttempts: 3 }))).resolves.toBeDefined();
    expect(fake.calls).toHaveLength(3);

    fake.failNext('FetchJWTSVID', 5, status.UNAVAILABLE);
    const error = await failure(fetchSvid()(connect({ maxAttempts: 2 })));
    expect(error.details).toMatchObject({ reason: 'unavailable', attempts: 2 });
    expect(fake.calls).toHaveLength(5);
  });

  it('does not retry a refusal', async () => {
    fake.failNext('FetchJWTSVID', 3, status.PERMISSION_DENIED);
    const error = await failure(fetchSvid()(connect()));
    expect(error.details).toMatchObject({ reason: 'permission_denied', attempts: 1 });
    expect(fake.calls).toHaveLength(1);
  });

  it('an empty answer is a malformed response; a non-gRPC failure is WRIT_IDENTITY_UNAVAILABLE (reason unknown)', async () => {
    const connection = connect();
    const empty = await failure(
      connection.unary('FetchJWTSVID', undefined, (client, md, co, cb) =>
        client.FetchJWTSVID({ audience: ['writ'], spiffe_id: '' }, md, co, () => cb(null, undefined)),
      ),
    );
    expect(empty).toMatchObject({ code: 'WRIT_IDENTITY_INVALID', details: { reason: 'malformed_response' } });
    const odd = await failure(
      connection.unary('FetchJWTSVID', undefined, (client, md, co, cb) =>
        client.FetchJWTSVID({ audience: ['writ'], spiffe_id: '' }, md, co, () =>
          cb(new Error('not a gRPC error') as never),
        ),
      ),
    );
    expect(odd).toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
      details: { reason: 'unknown', attempts: 1 },
    });
  });

  it('an aborted signal stops the call before it is sent', async () => {
    const error = await failure(fetchSvid()(connect(), AbortSignal.abort(new Error('gave up'))));
    expect(error.code).toBe('WRIT_ABORTED');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('closing the connection', () => {
  it('stops every tracked stream once, refuses further calls, and forgets untracked streams', async () => {
    const connection = connect();
    const stopped: string[] = [];
    connection.track(() => stopped.push('a'));
    const untrack = connection.track(() => stopped.push('b'));
    untrack();
    expect(connection.closed).toBe(false);
    connection.close();
    connection.close();
    expect(stopped).toEqual(['a']);
    expect(connection.closed).toBe(true);
    await expect(connection.client()).rejects.toEqual(
      expect.objectContaining({ details: { reason: 'closed' } }),
    );
    const error = await failure(fetchSvid()(connection));
    expect(error).toMatchObject({ code: 'WRIT_IDENTITY_UNAVAILABLE', details: { reason: 'closed' } });
    expect(fake.calls).toHaveLength(0);
  });
});

import { WritError } from '@writ/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import {
  connectToFake,
  createFakeWorkloadApi,
  type FakeWorkloadApi,
} from './__support__/fake-workload-api.js';
import { createTestAuthority, type TestAuthority } from './__support__/svid-fixtures.js';
import type { WorkloadApiConnection } from './workload-api-connection.js';
import { fetchJwtSvids, fromStruct, validateJwtSvidRemotely } from './workload-api-jwt-svid.js';

const SERVER = 'against a Workload API server built from the published workload.proto';
const SUPPORT = 'spiffe://example.org/agent/support';

let fake: FakeWorkloadApi;
let example: TestAuthority;
let connection: WorkloadApiConnection;

beforeEach(async () => {
  fake = createFakeWorkloadApi();
  example = createTestAuthority('example.org');
  fake.svids = [{ spiffeId: SUPPORT, mint: (aud) => example.mint({ sub: SUPPORT, aud }), hint: 'main' }];
  fake.setBundles({ 'spiffe://example.org': example.jwks() });
  await fake.start();
  connection = connectToFake(fake);
});

afterEach(async () => {
  connection.close();
  await fake.dispose();
});

describe(`FetchJWTSVID ${SERVER}`, () => {
  it('returns the SVIDs with their hint, asking for one audience or several', async () => {
    const [svid] = await fetchJwtSvids(connection, { audience: ['writ', 'audit'] });
    expect(svid).toMatchObject({ spiffeId: SUPPORT, hint: 'main' });
    expect(Object.isFrozen(svid)).toBe(true);
    expect(fake.calls[0]?.request).toEqual({ audience: ['writ', 'audit'], spiffe_id: '' });
  });

  it('refuses answers that break the protocol as malformed (WRIT_IDENTITY_INVALID)', async () => {
    fake.answerNext('FetchJWTSVID', { svids: [] });
    expect((await failure(fetchJwtSvids(connection, { audience: 'writ' }))).message).toBe(
      'SPIFFE Workload API FetchJWTSVID returned no JWT-SVID',
    );
    fake.answerNext('FetchJWTSVID', { svids: [{ spiffe_id: SUPPORT, svid: '' }] });
    expect((await failure(fetchJwtSvids(connection, { audience: 'writ' }))).message).toBe(
      'SPIFFE Workload API FetchJWTSVID returned an empty JWT-SVID',
    );
    fake.answerNext('FetchJWTSVID', { svids: [{ spiffe_id: 'spiffe://Example.org/x', svid: 'a.b.c' }] });
    const invalidId = await failure(fetchJwtSvids(connection, { audience: 'writ' }));
    expect(invalidId).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: 'SPIFFE Workload API FetchJWTSVID returned an invalid SPIFFE ID',
      details: { reason: 'malformed_response', method: 'FetchJWTSVID' },
    });
    expect(WritError.isInstance(invalidId.cause, 'WRIT_SPIFFE_ID_INVALID')).toBe(true);
  });

  it('refuses an SVID for another identity than the one asked for', async () => {
    fake.answerNext('FetchJWTSVID', { svids: [{ spiffe_id: SUPPORT, svid: 'a.b.c' }] });
    const error = await failure(
      fetchJwtSvids(connection, { audience: 'writ', spiffeId: 'spiffe://example.org/agent/billing' }),
    );
    expect(error).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'unexpected_spiffe_id', method: 'FetchJWTSVID' },
    });
    expect(fake.calls[0]?.request).toEqual({
      audience: ['writ'],
      spiffe_id: 'spiffe://example.org/agent/billing',
    });
  });

  it('validates its options before calling', async () => {
    for (const options of [
      { audience: [] },
      { audience: 'writ', colour: 'red' },
      { audience: 'writ', signal: 1 },
    ]) {
      const error = await failure(fetchJwtSvids(connection, options as never));
      expect(error.code).toBe('WRIT_OPTIONS_INVALID');
      expect(error.message).toMatch(/^fetchJwtSvid: options/);
    }
    await expect(
      fetchJwtSvids(connection, { audience: 'writ', spiffeId: 'not an id' }),
    ).rejects.toMatchObject({
      code: 'WRIT_SPIFFE_ID_INVALID',
    });
    expect(fake.calls).toHaveLength(0);
  });
});

describe(`ValidateJWTSVID ${SERVER}`, () => {
  it('returns the SPIFFE ID and the claims as JSON values', async () => {
    const token = example.mint({ sub: SUPPORT, aud: ['writ'], nested: { list: [1, 'two', null] } });
    const result = await validateJwtSvidRemotely(connection, token, { audience: 'writ' });
    expect(result.spiffeId).toBe(SUPPORT);
    expect(result.claims).toMatchObject({ sub: SUPPORT, nested: { list: [1, 'two', null] } });
  });

  it('refuses a missing token without calling the agent, and an answer naming an invalid SPIFFE ID', async () => {
    const missing = await failure(validateJwtSvidRemotely(connection, '', { audience: 'writ' }));
    expect(missing).toMatchObject({ code: 'WRIT_TOKEN_INVALID', details: { reason: 'not_a_token' } });
    expect(fake.calls).toHaveLength(0);

    fake.answerNext('ValidateJWTSVID', { spiffe_id: 'https://example.org', claims: { fields: {} } });
    const invalid = await failure(validateJwtSvidRemotely(connection, 'a.b.c', { audience: 'writ' }));
    expect(invalid).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'malformed_response', method: 'ValidateJWTSVID' },
    });
  });
});

describe('fromStruct (google.protobuf.Struct as proto-loader decodes it)', () => {
  it('turns every value kind into plain JSON; null and unknown kinds become null', () => {
    expect(
      fromStruct({
        fields: {
          n: { kind: 'numberValue', numberValue: 2 },
          s: { kind: 'stringValue', stringValue: 'x' },
          b: { kind: 'boolValue', boolValue: false },
          z: { kind: 'nullValue', nullValue: 'NULL_VALUE' },
          o: {
            kind: 'structValue',
            structValue: { fields: { k: { kind: 'stringValue', stringValue: 'v' } } },
          },
          l: { kind: 'listValue', listValue: { values: [{ kind: 'numberValue', numberValue: 1 }, {}] } },
          e: { kind: 'listValue', listValue: {} },
        },
      }),
    ).toEqual({ n: 2, s: 'x', b: false, z: null, o: { k: 'v' }, l: [1, null], e: [] });
    expect(fromStruct(undefined)).toEqual({});
  });
});

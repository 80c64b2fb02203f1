import { status } from '@grpc/grpc-js';
import type { WritError } from '@writ/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import {
  connectToFake,
  createFakeWorkloadApi,
  type FakeWorkloadApi,
} from './__support__/fake-workload-api.js';
import { createRecorder, createTestAuthority, type TestAuthority } from './__support__/svid-fixtures.js';
import type { WorkloadApiConnection } from './workload-api-connection.js';
import { watchJwtBundles } from './workload-api-jwt-bundles.js';

const SERVER = 'against a Workload API server built from the published workload.proto';

let fake: FakeWorkloadApi;
let example: TestAuthority;
let connection: WorkloadApiConnection;

const streamsOpened = () => fake.calls.filter((call) => call.method === 'FetchJWTBundles').length;

beforeEach(async () => {
  fake = createFakeWorkloadApi();
  example = createTestAuthority('example.org');
  fake.setBundles({ 'spiffe://example.org': example.jwks() });
  await fake.start();
  connection = connectToFake(fake);
});

afterEach(async () => {
  connection.close();
  await fake.dispose();
});

describe(`watchJwtBundles ${SERVER}`, () => {
  it('ready() resolves with the first full set, and at once afterwards', async () => {
    const watch = watchJwtBundles(connection);
    const bundles = await watch.ready();
    expect(bundles).toBe(watch.bundles);
    expect(bundles.trustDomains()).toEqual(['example.org']);
    await expect(watch.ready()).resolves.toBe(bundles);
    watch.close();
  });

  it('a message without bundles is reported and discarded; the next good one is applied', async () => {
    fake.setBundles({});
    const errors = createRecorder<WritError>();
    const updates = createRecorder<string[]>();
    const watch = watchJwtBundles(connection, (set) => updates.push(set.trustDomains()), {
      onError: errors.push,
    });
    const empty = await errors.until();
    expect(empty).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: 'SPIFFE Workload API FetchJWTBundles returned no bundles',
    });
    expect(watch.bundles.size).toBe(0);
    fake.setBundles({ 'spiffe://example.org': example.jwks() });
    await expect(watch.ready()).resolves.toBe(watch.bundles);
    expect(updates.values).toEqual([['example.org']]);
  });

  it('a throwing onUpdate is reported as WRIT_INTERNAL and a throwing onError is ignored; the watch goes on', async () => {
    const seen: WritError[] = [];
    const updates = createRecorder<string[]>();
    const watch = watchJwtBundles(
      connection,
      (set) => {
        updates.push(set.trustDomains());
        throw new Error('listener bug');
      },
      {
        onError: (error) => {
          seen.push(error);
          throw new Error('handler bug');
        },
      },
    );
    await watch.ready();
    expect(seen.map((e) => e.code)).toEqual(['WRIT_INTERNAL']);
    fake.setBundles({ 'spiffe://partner.io': example.jwks() });
    await updates.until((tds) => tds.includes('partner.io'));
    expect(seen.map((e) => e.code)).toEqual(['WRIT_INTERNAL', 'WRIT_INTERNAL']);
    expect(watch.bundles.trustDomains()).toEqual(['partner.io']);
    watch.close();
  });

  it('ends when the connection closes: pending ready() calls reject, later ones reject with the same error', async () => {
    await fake.stop();
    const watch = watchJwtBundles(connection);
    const pending = watch.ready();
    connection.close();
    const closed = await failure(pending);
    expect(closed).toMatchObject({ code: 'WRIT_IDENTITY_UNAVAILABLE', details: { reason: 'closed' } });
    expect(await failure(watch.ready())).toBe(closed);
  });

  it('an aborted signal ends the watch before any stream is opened; ready({ signal }) can give up alone', async () => {
    const watch = watchJwtBundles(connection, undefined, { signal: AbortSignal.abort() });
    expect((await failure(watch.ready())).details.reason).toBe('closed');
    expect(streamsOpened()).toBe(0);

    fake.failNext('FetchJWTBundles', 100, status.UNAVAILABLE);
    const open = watchJwtBundles(connection);
    const controller = new AbortController();
    const waiting = open.ready({ signal: controller.signal });
    controller.abort();
    expect((await failure(waiting)).code).toBe('WRIT_ABORTED');
    open.close();
  });

  it('refuses an onUpdate that is not a function and unknown options', () => {
    expect(() => watchJwtBundles(connection, 'nope' as never)).toThrow(/onUpdate must be a function/);
    expect(() => watchJwtBundles(connection, undefined, { onError: 1 } as never)).toThrow(
      /watchJwtBundles: options\.onError: must be a function/,
    );
    expect(streamsOpened()).toBe(0);
  });
});

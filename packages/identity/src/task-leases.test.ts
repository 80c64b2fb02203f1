// The broker's side of task leases: a credential is handed out only once its lease lists it. The leases
// here are a small in-memory implementation of the interface (the PostgreSQL one is tested in
// @writ/postgres against a real server); its `hold` can be made to fail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit, WritError } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCredentialBroker } from './credential-broker.js';
import { createLocalAuthority, type LocalAuthority } from './local-authority.js';
import { createLocalIdentity } from './local-identity.js';
import { createRevocationList } from './revocation-list.js';
import type { LeasedRun, TaskLeases } from './task-leases.js';

let dir: string;
let authority: LocalAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-leases-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function leases(failOnAudience?: string) {
  const held: { taskId: string; jti: string; audience: string | undefined }[] = [];
  const released: LeasedRun[] = [];
  const store: TaskLeases = {
    name: 'test-leases',
    async hold(attribution, { credential }) {
      if (credential.audience !== undefined && credential.audience === failOnAudience) {
        throw new Error('lease table unavailable');
      }
      held.push({ taskId: attribution.taskId, jti: credential.jti, audience: credential.audience });
    },
    async release(runs) {
      released.push(...runs);
    },
  };
  return { store, held, released };
}

function setup(store: TaskLeases) {
  const revocations = createRevocationList();
  const identity = createLocalIdentity({ authority });
  const writ = createWrit({
    identity,
    credentials: createCredentialBroker({ authority, revocations, leases: store }),
    audit: createInMemoryAuditSink(),
    policy: createInMemoryPolicy({ fallback: 'allow' }),
  });
  const tool = (audience: string) =>
    writ.tool({
      name: 'lookup_order',
      input: z.object({}),
      audience,
      execute: async (_a, ctx) => ctx.credential?.jti,
    });
  return { writ, identity, revocations, tool };
}

describe('createCredentialBroker({ leases })', () => {
  it('lists the task token and each audience credential on the run lease, and releases the run when it ends', async () => {
    const l = leases();
    const t = setup(l.store);
    const alice = await t.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const seen = await t.writ.task({ requester: alice, agent: 'support' }, async (task) => ({
      taskId: task.attribution.taskId,
      runId: task.attribution.runId,
      taskJti: task.credential?.jti,
      jti: await t.tool('https://orders.example.com').execute({}),
    }));
    expect(l.held).toEqual([
      { taskId: seen.taskId, jti: seen.taskJti, audience: undefined },
      { taskId: seen.taskId, jti: seen.jti, audience: 'https://orders.example.com' },
    ]);
    expect(l.released).toEqual([{ taskId: seen.taskId, runId: seen.runId }]);
  });

  it('a credential its lease cannot list is never handed out: the call is refused and the credential revoked', async () => {
    const l = leases('https://payments.example.com');
    const t = setup(l.store);
    const alice = await t.identity.issueRequesterToken({ sub: 'alice@example.com' });
    const outcome = await t.writ.task({ requester: alice, agent: 'support' }, () =>
      t
        .tool('https://payments.example.com')
        .execute({})
        .then(
          () => 'ran',
          (e: unknown) => (WritError.isInstance(e) ? e : undefined),
        ),
    );
    expect(outcome).toMatchObject({
      code: 'WRIT_CREDENTIAL_UNAVAILABLE',
      message: expect.stringContaining('task lease'),
    });
    const jti = (outcome as WritError).details?.jti;
    expect(typeof jti).toBe('string');
    expect(t.revocations.isRevoked(jti as string)).toBe(true);
  });
});

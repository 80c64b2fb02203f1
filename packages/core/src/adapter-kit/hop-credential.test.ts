import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WritError } from '../errors.js';
import { createInMemoryAuditSink } from '../testing/in-memory-audit.js';
import { createInMemoryCredentialBroker } from '../testing/in-memory-credentials.js';
import { createInMemoryIdentity } from '../testing/in-memory-identity.js';
import { createInMemoryPolicy } from '../testing/in-memory-policy.js';
import { createWrit } from '../writ.js';
import { hopCredential } from './hop-credential.js';

const ORDERS = 'https://orders.example.com/mcp';
const PAYMENTS = 'https://payments.example.com';

function instance(withBroker = true) {
  const credentials = createInMemoryCredentialBroker();
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    identity: createInMemoryIdentity({ requesters: { 'token-alice': { id: 'alice@example.com' } } }),
    policy: createInMemoryPolicy({ rules: [{ id: 'all', effect: 'allow' }] }),
    audit,
    ...(withBroker ? { credentials } : {}),
  });
  return { writ, credentials, audit };
}

describe('hopCredential', () => {
  it('in a task, a credential for that audience only: never the task token; cached per run and audience; revoked with the task', async () => {
    const { writ, credentials, audit } = instance();
    const seen = await writ.task({ requester: 'token-alice', agent: 'support' }, async (task) => {
      const orders = await hopCredential(ORDERS, { tool: 'lookup_order' });
      const again = await hopCredential(ORDERS);
      const payments = await hopCredential(PAYMENTS);
      return { task: task.credential, orders, again, payments };
    });
    expect(seen.orders?.audience).toBe(ORDERS);
    expect(seen.orders?.token).not.toBe(seen.task?.token);
    expect(seen.again?.jti).toBe(seen.orders?.jti);
    expect(seen.payments?.audience).toBe(PAYMENTS);
    expect(seen.payments?.jti).not.toBe(seen.orders?.jti);
    // the task ended: what was carried to another service no longer verifies there
    expect(() => credentials.verify(seen.orders?.token as string, { audience: ORDERS })).toThrow(
      expect.objectContaining({ code: 'WRIT_TOKEN_REVOKED' }),
    );
    const revoked = audit.ofKind('task-end').flatMap((r) => (r.revoked ?? []).map((c) => c.jti));
    expect(revoked).toContain(seen.orders?.jti);
  });

  it('inside a tool whose credential is for that audience, that very credential; for another audience, a new one', async () => {
    const { writ } = instance();
    const payments = writ.tool({
      name: 'refund_order',
      input: z.object({}),
      audience: PAYMENTS,
      execute: async (_args, ctx) => ({
        own: ctx.credential,
        same: await hopCredential(PAYMENTS),
        orders: await hopCredential(ORDERS),
      }),
    });
    const r = await writ.task({ requester: 'token-alice', agent: 'support' }, () => payments.execute({}));
    expect(r.same).toBe(r.own);
    expect(r.orders?.audience).toBe(ORDERS);
    expect(r.orders?.jti).not.toBe(r.own?.jti);
  });

  it('outside a task, or on an instance that issues no credentials, there is nothing to carry', async () => {
    expect(await hopCredential(ORDERS)).toBeUndefined();
    const { writ } = instance(false);
    expect(
      await writ.task({ requester: 'token-alice', agent: 'support' }, () => hopCredential(ORDERS)),
    ).toBeUndefined();
  });

  it('a broker failure is WRIT_CREDENTIAL_UNAVAILABLE (nothing else is sent); an empty audience is refused', async () => {
    const { writ } = instance();
    const failing = createWrit({
      identity: createInMemoryIdentity({ requesters: { 'token-alice': { id: 'alice@example.com' } } }),
      policy: createInMemoryPolicy({ rules: [{ id: 'all', effect: 'allow' }] }),
      audit: createInMemoryAuditSink(),
      credentials: {
        name: 'down',
        issueTaskCredential: (r, o) => createInMemoryCredentialBroker().issueTaskCredential(r, o),
        credentialFor: async () => {
          throw new Error('token endpoint unreachable');
        },
        revokeTask: async () => [],
      },
    });
    const error = await failing
      .task({ requester: 'token-alice', agent: 'support' }, () => hopCredential(ORDERS))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_CREDENTIAL_UNAVAILABLE')).toBe(true);
    expect((error as WritError).message).toContain('token endpoint unreachable');
    await expect(
      writ.task({ requester: 'token-alice', agent: 'support' }, () => hopCredential('')),
    ).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });
  });
});

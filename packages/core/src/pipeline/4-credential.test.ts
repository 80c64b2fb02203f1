import { describe, expect, it } from 'vitest';
import { createCredential } from '../credential.js';
import { WritError } from '../errors.js';
import type { CredentialBroker } from '../interfaces.js';
import { createInMemoryCredentialBroker } from '../testing/index.js';
import { callRun, REFUND } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import { issueCredential } from './4-credential.js';

const PAYMENTS = 'https://payments.example.com';

describe('stage 4: credential', () => {
  it('a tool without audience runs with the task token', async () => {
    const { run } = callRun();
    const token = createCredential({
      token: 't',
      jti: 'task-jti',
      type: 'jwt',
      audience: 'writ',
      expiresAt: Date.now() + 600_000,
      scope: ['*'],
    });
    (run.task as { credential?: unknown }).credential = token;
    await validate(run);
    await issueCredential(run);
    expect(run.credential).toBe(token);
  });

  it('a tool with an audience gets its own credential from the broker, bound to that audience', async () => {
    const broker = createInMemoryCredentialBroker();
    const { run } = callRun({ tool: { ...REFUND, audience: PAYMENTS }, writ: { credentials: broker } });
    await validate(run);
    await issueCredential(run);
    expect(run.credential?.audience).toBe(PAYMENTS);
    expect(broker.issued.map((c) => c.jti)).toContain(run.credential?.jti);
  });

  it('refuses when a credential is needed and there is no broker, or the broker fails or stalls', async () => {
    const none = callRun({ tool: { ...REFUND, audience: PAYMENTS } });
    await validate(none.run);
    await expect(issueCredential(none.run)).rejects.toMatchObject({ code: 'WRIT_CREDENTIAL_UNAVAILABLE' });
    const failing: CredentialBroker = {
      name: 'failing',
      issueTaskCredential: async () => {
        throw new Error('down');
      },
      credentialFor: async () => {
        throw new Error('exchange failed');
      },
      revokeTask: async () => [],
    };
    const failed = callRun({ tool: { ...REFUND, audience: PAYMENTS }, writ: { credentials: failing } });
    await validate(failed.run);
    await expect(issueCredential(failed.run)).rejects.toMatchObject({
      code: 'WRIT_CREDENTIAL_UNAVAILABLE',
      message: /exchange failed/,
    });
    const stalled = callRun({
      tool: { ...REFUND, audience: PAYMENTS },
      writ: {
        credentials: { ...failing, credentialFor: () => new Promise(() => {}) },
        timeouts: { credentialMs: 20 },
      },
    });
    await validate(stalled.run);
    await expect(issueCredential(stalled.run)).rejects.toMatchObject({
      code: 'WRIT_CREDENTIAL_UNAVAILABLE',
      message: /did not answer within 20 ms/,
    });
  });

  it("the broker's own scope verdict passes through as WRIT_SCOPE_EXCEEDED (not an outage)", async () => {
    const widening: CredentialBroker = {
      name: 'strict',
      issueTaskCredential: async () => {
        throw new Error('unused');
      },
      credentialFor: async () => {
        throw new WritError('WRIT_SCOPE_EXCEEDED', 'wider than the task');
      },
      revokeTask: async () => [],
    };
    const { run } = callRun({ tool: { ...REFUND, audience: PAYMENTS }, writ: { credentials: widening } });
    await validate(run);
    await expect(issueCredential(run)).rejects.toMatchObject({ code: 'WRIT_SCOPE_EXCEEDED' });
  });

  it('a task token close to expiry is renewed once, shared by concurrent calls', async () => {
    let renewals = 0;
    const expiring = createCredential({
      token: 'old',
      jti: 'old',
      type: 'jwt',
      audience: 'writ',
      expiresAt: Date.now() + 1_000,
      scope: ['*'],
    });
    const broker: CredentialBroker = {
      name: 'renewing',
      issueTaskCredential: async () => expiring,
      credentialFor: async () => expiring,
      revokeTask: async () => [],
      renewTaskCredential: async () => {
        renewals += 1;
        await new Promise((r) => setTimeout(r, 10));
        return createCredential({
          token: 'new',
          jti: 'new',
          type: 'jwt',
          audience: 'writ',
          expiresAt: Date.now() + 600_000,
          scope: ['*'],
        });
      },
    };
    const first = callRun({ writ: { credentials: broker } });
    (first.run.task as { credential?: unknown }).credential = expiring;
    const second = { ...first.run, call: first.run.call };
    await validate(first.run);
    await Promise.all([issueCredential(first.run), issueCredential(second as typeof first.run)]);
    expect(renewals).toBe(1);
    expect(first.run.credential?.jti).toBe('new');
    expect(first.run.task.credential?.jti).toBe('new');
  });
});

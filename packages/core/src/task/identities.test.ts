import { describe, expect, it } from 'vitest';
import { defineAgent } from '../agent.js';
import { createConfig } from '../config.js';
import type { IdentityProvider } from '../interfaces.js';
import { createInMemoryIdentity } from '../testing/index.js';
import { registration, resolveAgent, resolveRequester, withinRegistration } from './identities.js';

const NEVER = new AbortController().signal;

describe('task identities', () => {
  it('a requester token is verified by the identity provider; a principal object is recorded as asserted', async () => {
    const config = createConfig({
      identity: createInMemoryIdentity({ requesters: { 'tok-a': { id: 'alice@example.com' } } }),
    });
    expect(await resolveRequester(config, 'tok-a', NEVER)).toMatchObject({
      id: 'alice@example.com',
      assurance: 'verified',
    });
    expect(
      await resolveRequester(config, { kind: 'human', id: 'bob', assurance: 'verified' }, NEVER),
    ).toMatchObject({ id: 'bob', assurance: 'asserted' });
    await expect(resolveRequester(config, 'forged', NEVER)).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
    });
    expect(await resolveRequester(config, undefined, NEVER)).toBeUndefined();
  });

  it('a provider that returns a malformed principal, or stalls, is refused', async () => {
    const malformed: IdentityProvider = {
      name: 'bad',
      verifyRequester: async () => ({ id: '' }) as never,
      agentIdentity: async () => ({ kind: 'robot', id: 'x', assurance: 'verified' }) as never,
    };
    const config = createConfig({ identity: malformed });
    await expect(resolveRequester(config, 't', NEVER)).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: /malformed requester/,
    });
    await expect(resolveAgent(config, 'support', NEVER)).rejects.toMatchObject({
      message: /malformed agent/,
    });
    const stalled = createConfig({
      identity: { ...malformed, verifyRequester: () => new Promise(() => {}) },
      timeouts: { identityMs: 20 },
    });
    await expect(resolveRequester(stalled, 't', NEVER)).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      message: /in time/,
    });
  });

  it('a registry refuses unregistered agents, bounds scope, and adds owner and purpose to the agent', async () => {
    const support = defineAgent({
      id: 'support',
      owner: 'cx-team',
      purpose: 'answer tickets',
      scope: ['orders:*'],
    });
    const config = createConfig({ agents: [support], identity: createInMemoryIdentity() });
    expect(() => registration(config, 'rogue')).toThrow(
      expect.objectContaining({ code: 'WRIT_IDENTITY_INVALID' }),
    );
    expect(withinRegistration(support, ['orders:read'])).toEqual(['orders:read']);
    expect(() => withinRegistration(support, ['payments:*'])).toThrow(
      expect.objectContaining({ code: 'WRIT_SCOPE_EXCEEDED' }),
    );
    expect(await resolveAgent(config, 'support', NEVER, registration(config, 'support'))).toMatchObject({
      owner: 'cx-team',
      purpose: 'answer tickets',
      name: 'support',
    });
    expect(registration(createConfig({}), 'anyone')).toBeUndefined();
  });
});

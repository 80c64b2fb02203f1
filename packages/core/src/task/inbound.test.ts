import { describe, expect, it } from 'vitest';
import { createConfig } from '../config.js';
import { createInMemoryIdentity } from '../testing/index.js';
import { continueInbound } from './inbound.js';
import type { InboundTask } from './task-options.js';

const NEVER = new AbortController().signal;
const config = createConfig({ identity: createInMemoryIdentity() });
const token: InboundTask = {
  taskId: 'caller-task',
  subject: 'alice@example.com',
  actors: ['spiffe://caller/agent/orchestrator'],
  autonomous: false,
  scope: ['orders:*'],
  issuer: 'https://caller.example.com',
  jti: 'jti-1',
  expiresAt: Date.now() + 60_000,
  correlationId: 'corr-1',
};

describe('continuing a caller task from its verified token', () => {
  it("keeps the caller's requester and chain (verified by the caller's issuer) and appends this agent", async () => {
    const a = await continueInbound(config, token, 'orders-mcp', {} as never, 'caller-task', 'corr-1', NEVER);
    // an older token names no identity provider: its issuer stands, and `via` says it was carried
    expect(a.requester).toMatchObject({
      id: 'alice@example.com',
      kind: 'human',
      assurance: 'verified',
      issuer: 'https://caller.example.com',
      via: 'https://caller.example.com',
    });
    expect(a.chain.map((p) => p.id)).toEqual([
      'spiffe://caller/agent/orchestrator',
      'spiffe://writ.test/agent/orders-mcp',
    ]);
    expect(a.inbound).toEqual({
      audience: [],
      jti: 'jti-1',
      issuer: 'https://caller.example.com',
      expiresAt: token.expiresAt,
      missing: ['intentDigest', 'requester', 'callerLog', 'callerSpanId'],
    });
  });

  it("records what the token carried: the requester's IdP and stated assurance, via the caller's token", async () => {
    const carried: InboundTask = {
      ...token,
      audience: ['https://orders.example.com/mcp'],
      intentDigest: 'sha256:00',
      requester: { issuer: 'https://login.example.com', assurance: 'asserted' },
      callerLog: 'writ.example/orchestrator',
      callerSpanId: '00f067aa0ba902b7',
    };
    const a = await continueInbound(config, carried, 'orders-mcp', {} as never, 'caller-task', 'c', NEVER);
    expect(a.requester).toEqual({
      kind: 'human',
      id: 'alice@example.com',
      assurance: 'asserted',
      issuer: 'https://login.example.com',
      via: 'https://caller.example.com',
    });
    // the caller's agents stay vouched for by the caller's authority
    expect(a.chain[0]).toMatchObject({ issuer: 'https://caller.example.com', assurance: 'verified' });
    expect(a.inbound).toEqual({
      audience: ['https://orders.example.com/mcp'],
      callerLog: 'writ.example/orchestrator',
      callerSpanId: '00f067aa0ba902b7',
      expiresAt: token.expiresAt,
      intentDigest: 'sha256:00',
      issuer: 'https://caller.example.com',
      jti: 'jti-1',
      requester: { assurance: 'asserted', issuer: 'https://login.example.com' },
    });
    // canonical key order: records serialise on the fast path
    expect(Object.keys(a.inbound ?? {})).toEqual(Object.keys(a.inbound ?? {}).sort());
    // an autonomous task has no requester to miss
    const autonomous = await continueInbound(
      config,
      { ...token, autonomous: true, subject: 'spiffe://caller/agent/cron', actors: [] },
      'm',
      {} as never,
      't',
      'c',
      NEVER,
    );
    expect(autonomous.inbound?.missing).toEqual(['intentDigest', 'callerLog', 'callerSpanId']);
  });

  it('only narrows the token scope; an expired token or one naming no agent is refused', async () => {
    const narrowed = await continueInbound(
      config,
      token,
      'm',
      { agent: 'm', scope: ['orders:read'] },
      't',
      'c',
      NEVER,
    );
    expect(narrowed.scope).toEqual(['orders:read']);
    await expect(
      continueInbound(config, token, 'm', { agent: 'm', scope: ['*'] }, 't', 'c', NEVER),
    ).rejects.toMatchObject({ code: 'WRIT_SCOPE_EXCEEDED' });
    await expect(
      continueInbound(config, { ...token, expiresAt: Date.now() - 1 }, 'm', {} as never, 't', 'c', NEVER),
    ).rejects.toMatchObject({ code: 'WRIT_TOKEN_EXPIRED' });
    await expect(
      continueInbound(config, { ...token, actors: [] }, 'm', {} as never, 't', 'c', NEVER),
    ).rejects.toMatchObject({ code: 'WRIT_IDENTITY_INVALID' });
  });

  it('an autonomous caller has no requester: its subject is the first agent', async () => {
    const a = await continueInbound(
      config,
      { ...token, autonomous: true, subject: 'spiffe://caller/agent/cron' },
      'm',
      {} as never,
      't',
      'c',
      NEVER,
    );
    expect(a.requester).toBeUndefined();
    expect(a.chain[0]?.id).toBe('spiffe://caller/agent/cron');
  });
});

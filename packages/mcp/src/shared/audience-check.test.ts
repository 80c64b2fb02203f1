import type { InboundTask } from '@writ/core/adapter';
import { describe, expect, it } from 'vitest';
import { requireAudience } from './audience-check.js';

const OWN = 'https://orders.example.com/mcp';
const inbound = (audience: unknown): InboundTask =>
  ({
    taskId: 't-1',
    subject: 'alice@example.com',
    actors: ['spiffe://support.example/agent/support-bot'],
    autonomous: false,
    scope: ['orders:*'],
    issuer: 'spiffe://support.example',
    jti: 'jti-1',
    expiresAt: Date.now() + 60_000,
    ...(audience === undefined ? {} : { audience }),
  }) as InboundTask;

describe('requireAudience', () => {
  it('accepts a credential whose audience names this server, in any spelling of its resource URI', () => {
    expect(() => requireAudience(inbound(OWN), OWN)).not.toThrow();
    expect(() =>
      requireAudience(inbound(['https://elsewhere.example', 'HTTPS://orders.example.com/mcp']), OWN),
    ).not.toThrow();
  });

  it('refuses a credential for another audience (the issuer, a sibling path, another server)', () => {
    for (const audience of [
      'spiffe://support.example',
      'https://orders.example.com',
      [],
      ['https://payments.example.com'],
    ]) {
      expect(() => requireAudience(inbound(audience), OWN)).toThrow(
        expect.objectContaining({
          code: 'WRIT_AUDIENCE_MISMATCH',
          message: expect.stringContaining(`not for this server (${OWN})`),
          details: { token: 'task token', reason: 'audience', jti: 'jti-1' },
        }),
      );
    }
  });

  it('refuses what a verifier returned without saying which audience it verified', () => {
    for (const audience of [undefined, 42, [42]]) {
      expect(() => requireAudience(inbound(audience), OWN)).toThrow(
        expect.objectContaining({
          code: 'WRIT_TOKEN_INVALID',
          details: { token: 'task token', reason: 'audience_unknown' },
        }),
      );
    }
  });
});

import { describe, expect, it } from 'vitest';
import { createConfig } from './config.js';
import { WritError } from './errors.js';
import { WRIT_DEFAULTS } from './options.js';
import { createInMemoryApprovalStore, createInMemoryCallLedger } from './plugin.js';

describe('createConfig', () => {
  it('fails closed by default: deny-all policy, asserted-only identity, no sink, no approvals', async () => {
    const config = createConfig(undefined);
    expect(config.policy.name).toBe('writ:deny-all');
    expect(config.identity.name).toBe('asserted');
    expect(config.audit).toBeUndefined();
    expect(config.approvals).toBeUndefined();
    expect(config.durability).toBe('strict');
    expect(config.timeouts).toEqual(WRIT_DEFAULTS.timeouts);
    expect(config.calls.name).toBe('in-memory');
  });

  it('merges partial timeouts and capture over the defaults, and never mutates the options', () => {
    const options = Object.freeze({
      timeouts: Object.freeze({ policyMs: 50 }),
      capture: Object.freeze({ args: true }),
    });
    const config = createConfig(options);
    expect(config.timeouts).toEqual({ ...WRIT_DEFAULTS.timeouts, policyMs: 50 });
    expect(config.capture).toEqual({ args: true, results: false });
  });

  it('takes shared stores for the call ledger and pending approvals', () => {
    const calls = createInMemoryCallLedger({ max: 5, clock: Date.now });
    const approvals = createInMemoryApprovalStore({ max: 5, clock: Date.now });
    const config = createConfig({ stores: { calls, approvals } });
    expect(config.calls).toBe(calls);
    expect(config.pendingApprovals).toBe(approvals);
    expect(() =>
      createConfig({ stores: { calls: { name: 'half', get: async () => undefined } as never } }),
    ).toThrow(/options\.stores\.calls: must implement CallLedgerStore/);
  });

  it('report sends to onError, and a throwing onError never breaks the caller', () => {
    const seen: string[] = [];
    createConfig({ onError: (e) => seen.push(e.code) }).report(new WritError('WRIT_AUDIT_UNAVAILABLE', 'x'));
    expect(seen).toEqual(['WRIT_AUDIT_UNAVAILABLE']);
    expect(() =>
      createConfig({
        onError: () => {
          throw new Error('handler bug');
        },
      }).report(new WritError('WRIT_INTERNAL', 'x')),
    ).not.toThrow();
  });
});

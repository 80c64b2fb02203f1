import { describe, expect, it } from 'vitest';
import { WritError } from './index.js';
import { uuidv7 } from './internal.js';
import {
  createCredential,
  isValidScopeItem,
  narrowScope,
  scopeItemCovers,
  toWritError,
  WRIT_ERROR_CODES,
} from './plugin.js';
import { REDACTED, redact } from './redact.js';

describe('WritError', () => {
  it('keeps code, cause and details, and serialises without the cause', () => {
    const cause = new Error('socket hang up');
    const error = new WritError('WRIT_PDP_UNAVAILABLE', 'pdp down', {
      cause,
      details: { engine: 'authzen' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'WritError',
      code: 'WRIT_PDP_UNAVAILABLE',
      message: 'pdp down',
      details: { engine: 'authzen' },
    });
  });

  it('isInstance recognises errors from another copy of the package (shared Symbol.for marker)', () => {
    class OtherCopy extends Error {
      readonly code = 'WRIT_POLICY_DENIED';
    }
    const foreign = new OtherCopy('denied elsewhere');
    Object.defineProperty(foreign, Symbol.for('writ.error'), { value: true });
    expect(foreign instanceof WritError).toBe(false);
    expect(WritError.isInstance(foreign)).toBe(true);
    expect(WritError.isInstance(foreign, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(WritError.isInstance(foreign, 'WRIT_INPUT_INVALID')).toBe(false);
    expect(WritError.isInstance({ code: 'WRIT_POLICY_DENIED' })).toBe(false);
  });

  it('toWritError wraps unknown throws and passes WritErrors through', () => {
    const original = new WritError('WRIT_SCOPE_EXCEEDED', 'no');
    expect(toWritError(original)).toBe(original);
    const wrapped = toWritError('boom', 'WRIT_AUDIT_UNAVAILABLE');
    expect(wrapped).toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE', message: 'boom', cause: 'boom' });
    expect(new Set(WRIT_ERROR_CODES).size).toBe(WRIT_ERROR_CODES.length);
  });
});

describe('scope', () => {
  it.each([
    ['*', 'anything:at:all', true],
    ['orders:*', 'orders:refund', true],
    ['orders:*', 'orders:refund:*', true],
    ['orders:*', 'orders', false],
    ['orders:*', 'ordersx:read', false],
    ['orders:read', 'orders:*', false],
    ['orders:read', 'orders:read', true],
    ['orders:*', '*', false],
  ])('%s covers %s: %s', (granted, requested, expected) => {
    expect(scopeItemCovers(granted, requested)).toBe(expected);
  });

  it('validates items and never widens', () => {
    for (const bad of ['', 'a b', 'orders:*:x', '**', 'a::b', ':a', 'x'.repeat(300)])
      expect(isValidScopeItem(bad)).toBe(false);
    expect(narrowScope(['orders:*'], undefined)).toEqual(['orders:*']);
    expect(() => narrowScope(['orders:read'], ['orders:read', 'refunds:create'])).toThrow(
      expect.objectContaining({
        code: 'WRIT_SCOPE_EXCEEDED',
        details: expect.objectContaining({ exceeded: ['refunds:create'] }),
      }),
    );
  });
});

describe('redact', () => {
  it('replaces matching paths in a copy, with * matching any key or index', () => {
    const input = {
      user: { password: 'p', name: 'n' },
      items: [
        { token: 't1', id: 1 },
        { token: 't2', id: 2 },
      ],
    };
    const out = redact(input, ['user.password', 'items.*.token']);
    expect(out).toEqual({
      user: { password: REDACTED, name: 'n' },
      items: [
        { token: REDACTED, id: 1 },
        { token: REDACTED, id: 2 },
      ],
    });
    expect(input.user.password).toBe('p');
  });
});

describe('credentials', () => {
  it('never expose the token through JSON, spreads or inspection', async () => {
    const credential = createCredential({
      token: 'super-secret-token',
      jti: 'j1',
      type: 'jwt',
      scope: ['a'],
      expiresAt: 1,
    });
    expect(credential.token).toBe('super-secret-token');
    expect(JSON.stringify(credential)).not.toContain('super-secret');
    expect(JSON.stringify({ ...credential })).not.toContain('super-secret');
    const { inspect } = await import('node:util');
    expect(inspect(credential, { depth: 5 })).not.toContain('super-secret');
    expect(Object.isFrozen(credential)).toBe(true);
  });
});

describe('uuidv7', () => {
  it('is a version-7, variant-1 UUID that sorts by time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidv7())).size).toBe(10_000);
  });
});

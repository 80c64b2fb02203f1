// The size of the hostile identity suite (issue 9, item 1 asks for at least 40 cases), counted from the
// same tables the other files in this directory run through the public entries.
import { describe, expect, it } from 'vitest';
import { BUNDLE_CASES } from './cases/bundle.js';
import { JWT_SVID_CASES } from './cases/jwt-svid.js';
import { LOCAL_REQUESTER_CASES } from './cases/local-requester.js';
import { OIDC_REQUESTER_CASES } from './cases/oidc-requester.js';
import { HTTP_TASK_TOKEN_CASES, TASK_TOKEN_CASES } from './cases/task-token.js';
import type { HostileCase } from './support.js';

const TABLES: Record<string, readonly HostileCase<never>[]> = {
  'requester tokens: OIDC (oidc-provider)': OIDC_REQUESTER_CASES,
  'requester tokens: zero-config local authority': LOCAL_REQUESTER_CASES,
  'JWT-SVIDs (Workload API)': JWT_SVID_CASES,
  'JWT bundles (sidecar file, Workload API stream)': BUNDLE_CASES,
  'task tokens: MCP params._meta': TASK_TOKEN_CASES,
  'task tokens: MCP over HTTP, Txn-Token header': HTTP_TASK_TOKEN_CASES,
  'task tokens: MCP over HTTP, bearer token': HTTP_TASK_TOKEN_CASES,
};

describe('hostile identity input: the size of the suite', () => {
  it('has at least 40 distinct hostile inputs, each table at least 8, every one expecting a typed WRIT_* code', () => {
    let total = 0;
    for (const [table, cases] of Object.entries(TABLES)) {
      expect(cases.length, table).toBeGreaterThanOrEqual(8);
      expect(new Set(cases.map((c) => c.name)).size, `${table}: names are unique`).toBe(cases.length);
      for (const c of cases) expect(c.code, `${table}: ${c.name}`).toMatch(/^WRIT_[A-Z_]+$/);
      total += cases.length;
    }
    // distinct inputs, not counting the HTTP re-runs of task token cases
    const distinct = total - 2 * HTTP_TASK_TOKEN_CASES.length;
    expect(distinct).toBeGreaterThanOrEqual(40);
    expect(total).toBe(
      OIDC_REQUESTER_CASES.length +
        LOCAL_REQUESTER_CASES.length +
        JWT_SVID_CASES.length +
        BUNDLE_CASES.length +
        TASK_TOKEN_CASES.length +
        2 * HTTP_TASK_TOKEN_CASES.length,
    );
  });

  it('covers every attack the issue names in every token family it applies to', () => {
    const names = (cases: readonly HostileCase<never>[]) => cases.map((c) => c.name);
    const family = [
      'alg none',
      'HS256 keyed with the public key',
      'no exp',
      'expired',
      'nbf in the future',
      'iat in the future',
      'wrong aud',
      'jwk header',
      'jku header',
      'x5u header',
      'unknown crit',
      'unknown kid',
      'duplicate claim',
      'non-JSON payload',
      'oversized token',
    ];
    for (const cases of [OIDC_REQUESTER_CASES, LOCAL_REQUESTER_CASES, JWT_SVID_CASES, TASK_TOKEN_CASES]) {
      expect(names(cases)).toEqual(expect.arrayContaining(family));
    }
    for (const cases of [OIDC_REQUESTER_CASES, LOCAL_REQUESTER_CASES, TASK_TOKEN_CASES]) {
      expect(names(cases)).toContain('wrong iss');
    }
    expect(names(JWT_SVID_CASES)).toEqual(
      expect.arrayContaining([
        'wrong trust domain: evil.org SVID, no bundle for evil.org',
        'oversized SPIFFE ID (over 2048 bytes)',
        'sub with a dot-dot segment',
      ]),
    );
    expect(names(BUNDLE_CASES)).toEqual(
      expect.arrayContaining([
        'the signing key is published only with use "enc"',
        'duplicate kid: an attacker key appended under the trusted kid',
      ]),
    );
  });
});

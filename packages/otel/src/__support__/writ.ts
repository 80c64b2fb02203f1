// Test support: a Writ instance wired with the in-memory implementations users get from @writ/core/testing.
import { createWrit } from '@writ/core';
import {
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
} from '@writ/core/testing';

export const ALICE = 'token-alice';

export function setupWrit() {
  const identity = createInMemoryIdentity({ requesters: { [ALICE]: { id: 'alice@example.com' } } });
  const policy = createInMemoryPolicy({ rules: [{ id: 'reads', effect: 'allow', risk: ['low'] }] });
  const audit = createInMemoryAuditSink();
  const credentials = createInMemoryCredentialBroker();
  const writ = createWrit({ service: 'support', identity, policy, audit, credentials });
  return { writ, audit, credentials };
}

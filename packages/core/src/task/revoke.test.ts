import { describe, expect, it } from 'vitest';
import { createConfig } from '../config.js';
import type { WritError } from '../errors.js';
import { ALICE_ATTRIBUTION } from '../pipeline/__support__/call-run.js';
import { createInMemoryAuditSink, createInMemoryCredentialBroker } from '../testing/index.js';
import { revokeTask } from './revoke.js';

describe('revoking a task', () => {
  it('revokes every credential of the task and records what was revoked', async () => {
    const audit = createInMemoryAuditSink();
    const credentials = createInMemoryCredentialBroker();
    const config = createConfig({ audit, credentials });
    const issued = await credentials.issueTaskCredential(
      { attribution: ALICE_ATTRIBUTION },
      { signal: new AbortController().signal },
    );
    await revokeTask(config, ALICE_ATTRIBUTION, 'task-end');
    expect(credentials.isRevoked(issued.jti)).toBe(true);
    expect(audit.ofKind('revocation')).toEqual([
      expect.objectContaining({
        reason: 'task-end',
        credentials: [expect.objectContaining({ jti: issued.jti })],
      }),
    ]);
  });

  it('nothing to revoke writes nothing; a failing broker is reported, never thrown', async () => {
    const audit = createInMemoryAuditSink();
    const reported: WritError[] = [];
    await revokeTask(
      createConfig({ audit, credentials: createInMemoryCredentialBroker() }),
      ALICE_ATTRIBUTION,
      'task-end',
    );
    expect(audit.events).toHaveLength(0);
    const broken = createConfig({
      audit,
      onError: (e) => reported.push(e),
      credentials: {
        name: 'down',
        issueTaskCredential: async () => {
          throw new Error('x');
        },
        credentialFor: async () => {
          throw new Error('x');
        },
        revokeTask: async () => {
          throw new Error('revocation endpoint down');
        },
      },
    });
    await expect(revokeTask(broken, ALICE_ATTRIBUTION, 'task-end')).resolves.toBeUndefined();
    expect(reported.map((e) => e.code)).toEqual(['WRIT_CREDENTIAL_UNAVAILABLE']);
  });
});

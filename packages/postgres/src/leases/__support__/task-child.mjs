// Child process for the reaper acceptance test: one replica running a task through the real pipeline, with
// the PostgreSQL revocation list and task leases, and a credential exchanged at the stub token endpoint.
// It prints one JSON line once the tool is running, then waits (the test SIGKILLs it there). Runs the
// BUILT packages: build before running.
import { createWrit } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { createCredentialBroker, createLocalAuthority, createLocalIdentity } from '@writ/identity';
import { createPostgresRevocationList, createPostgresTaskLeases } from '@writ/postgres';
import { z } from 'zod';

const [connectionString, schema, keyDir, stub, ttlMs, tokenKey] = process.argv.slice(2);
const PAYMENTS = 'https://payments.example.com';
setInterval(() => undefined, 60_000); // stays alive until killed

const authority = await createLocalAuthority({ dir: keyDir, trustDomain: 'example.org' });
const revocations = await createPostgresRevocationList({ connectionString, schema });
const leases = await createPostgresTaskLeases({
  connectionString,
  schema,
  service: 'support',
  ttlMs: Number(ttlMs),
  tokenKey,
});
const credentials = createCredentialBroker({
  authority,
  revocations,
  leases,
  exchange: {
    tokenEndpoint: `${stub}/token`,
    revocationEndpoint: `${stub}/revoke`,
    clientId: 'writ-broker',
    clientSecret: 'writ-broker-secret',
    audiences: [PAYMENTS],
  },
});
const identity = createLocalIdentity({ authority });
const writ = createWrit({
  service: 'support',
  identity,
  credentials,
  audit: createInMemoryAuditSink(),
  policy: createInMemoryPolicy({ fallback: 'allow' }),
});
const refund = writ.tool({
  name: 'refund_order',
  input: z.object({ orderId: z.string() }),
  audience: PAYMENTS,
  execute: async (_args, ctx) => {
    process.stdout.write(
      `${JSON.stringify({
        taskId: ctx.attribution.taskId,
        taskJti: ctx.attribution.credential?.jti,
        jti: ctx.credential?.jti,
        token: ctx.credential?.token,
      })}\n`,
    );
    await new Promise(() => undefined); // mid-task, forever
  },
});
const alice = await identity.issueRequesterToken({ sub: 'alice@example.com' });
await writ.task({ requester: alice, agent: 'support', intent: 'Refund order 42' }, () =>
  refund.execute({ orderId: '42' }),
);

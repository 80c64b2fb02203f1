// A process of the fleet evidence test (issue 21 item 4): several runtimes (the `writ` package's createWrit), each
// with its own PostgreSQL audit log (`LOG_IDS`), sharing one pool and the fleet stores; the first runtime also runs
// the fleet's sealer (`fleet.seal`), so every process competes for the one sealing lock. Each runtime runs a task
// of allowed and denied calls, checkpoints, and waits until the fleet log sealed its log; then the process closes
// and exits 0. Runs the BUILT packages: build first.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresAuditSink } from '@writ/audit';
import { createInMemoryPolicy } from '@writ/core/testing';
import { createPostgresStores, hmacRowSigner } from '@writ/postgres';
import pg from 'pg';
import { createWrit } from 'writ';
import { z } from 'zod';

const { DATABASE_URL, WRIT_DIR, LOG_IDS, FLEET_KEY_DIR, CALLS, STORE_KEY } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
pool.on('error', () => undefined);

async function runtime(logId, first) {
  const audit = await createPostgresAuditSink({
    pool,
    logId,
    keyDir: join(WRIT_DIR, 'keys'),
    checkpointEvery: 25,
  });
  const store = createPostgresStores({
    pool,
    signer: hmacRowSigner(STORE_KEY),
    fleet: {
      revocations: false,
      leases: false,
      reaper: false,
      prune: false,
      ...(first
        ? { seal: { keyDir: FLEET_KEY_DIR, createKey: false, members: 'first-seen', intervalMs: 200 } }
        : {}),
    },
  });
  const writ = createWrit({
    service: logId,
    dir: join(WRIT_DIR, logId),
    publicDir: false,
    audit,
    store,
    policy: createInMemoryPolicy({
      rules: [
        { id: 'credits', effect: 'allow', tool: 'issue_credit' },
        { id: 'no-refunds', effect: 'deny', tool: 'refund_order' },
      ],
    }),
  });
  const { localIdentity } = await writ.ready();
  const credit = writ.tool({
    name: 'issue_credit',
    input: z.object({ amount: z.number() }),
    execute: async ({ amount }) => ({ credited: amount }),
  });
  const refund = writ.tool({
    name: 'refund_order',
    input: z.object({ orderId: z.string() }),
    execute: async () => ({ refunded: true }),
  });
  const alice = await localIdentity.issueRequesterToken({ sub: 'alice@example.com' });
  await writ.task({ requester: alice, agent: 'support', intent: `Credits from ${logId}` }, async () => {
    for (let n = 0; n < Number(CALLS); n++) await credit.execute({ amount: n });
    await refund.execute({ orderId: '42' }).catch(() => undefined); // denied, recorded
  });
  await audit.checkpoint();
  return { logId, writ, audit };
}

const ids = LOG_IDS.split(',');
const runtimes = await Promise.all(ids.map((logId, i) => runtime(logId, i === 0)));
// wait until the fleet's sealer (whichever process holds the lock) sealed each of this process's logs
const sealedPattern = (logId) => `%"kind":"fleet-seal","logId":"${logId}",%`;
for (const { logId } of runtimes) {
  for (let waited = 0; ; waited += 100) {
    const { rows } = await pool
      .query("SELECT count(*)::int AS n FROM writ_audit.records WHERE log_id = 'fleet' AND line LIKE $1", [
        sealedPattern(logId),
      ])
      .catch(() => ({ rows: [{ n: 0 }] }));
    if (rows[0].n > 0) break;
    if (waited > 90_000) {
      console.error(`${logId}: never sealed`);
      process.exit(1);
    }
    await sleep(100);
  }
}
const sizes = {};
for (const { logId, writ, audit } of runtimes) {
  await writ.close();
  await audit.close?.();
  sizes[logId] = audit.size;
}
await pool.end();
process.send?.({ done: true, sizes });
process.exit(0);

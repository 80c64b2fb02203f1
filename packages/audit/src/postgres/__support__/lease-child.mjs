// Child process for the lease tests: a PostgreSQL audit writer that appends a few records, reports the
// slot it holds, then waits for a line on stdin before appending once more (the parent stops it with
// SIGSTOP in between, past its lease, and lets another writer take the slot). Reports what happened to
// that late append as one JSON line.
import { createInterface } from 'node:readline';
import { createNoteSigner, createPostgresAuditSink } from '@writ/audit';

const [connectionString, schema, pool, slots, leaseMs] = process.argv.slice(2);
const signer = createNoteSigner(process.env.WRIT_TEST_SIGNER_KEY ?? '');
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const event = (n) => ({
  v: 1,
  id: `child-${n}`,
  time: new Date(1_790_000_000_000 + n).toISOString(),
  service: 'child',
  taskId: 'task-child',
  correlationId: 'corr',
  requester: { kind: 'human', id: 'user@example.com', assurance: 'verified' },
  chain: [{ kind: 'agent', id: 'spiffe://writ.test/agent/child', name: 'child', assurance: 'verified' }],
  autonomous: false,
  kind: 'task-end',
  status: 'ok',
  durationMs: n,
});

const audit = await createPostgresAuditSink({
  connectionString,
  schema,
  logId: pool,
  slots: Number(slots),
  leaseMs: Number(leaseMs),
  signer,
});
for (let n = 0; n < 5; n++) await audit.append(event(n), { durability: 'strict' });
say({ ready: true, logId: audit.logId, size: audit.size });
const lines = createInterface({ input: process.stdin });
for await (const _ of lines) break;
try {
  const receipt = await audit.append(event(5), { durability: 'strict' });
  say({ appended: receipt.index, logId: audit.logId });
} catch (error) {
  say({ refused: error.code, details: error.details, message: error.message });
}
await audit.close().catch(() => undefined);
say({ closed: true });
process.exit(0);

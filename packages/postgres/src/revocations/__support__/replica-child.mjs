// Child process for the cross-process revocation test: one replica's PostgreSQL revocation list, driven over
// IPC by the test. Times are wall-clock milliseconds with sub-ms precision (performance.timeOrigin + now),
// comparable across processes on one machine. Runs the BUILT package: build before running.
import { createPostgresRevocationList } from '@writ/postgres';

const [connectionString, schema, instance] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const list = await createPostgresRevocationList({
  connectionString,
  schema,
  instance,
  maxStalenessMs: 2_000,
  onError: () => undefined,
});

const answer = (jti) => {
  try {
    return list.isRevoked(jti);
  } catch (error) {
    return `${error.code}/${error.details?.reason}`;
  }
};

process.on('message', async (m) => {
  if (m.op === 'revoke') {
    const started = now();
    await list.revoke(m.jti, Date.now() + 60_000, 'test');
    process.send({ id: m.id, started, committed: now() });
  } else if (m.op === 'watch') {
    // answers the moment isRevoked turns true (checked on every turn of the event loop)
    const poll = () => (answer(m.jti) === true ? process.send({ id: m.id, at: now() }) : setImmediate(poll));
    poll();
    process.send({ id: `${m.id}:armed` });
  } else if (m.op === 'check') {
    process.send({ id: m.id, answer: answer(m.jti) });
  } else if (m.op === 'state') {
    process.send({ id: m.id, state: list.state });
  }
});
process.send({ id: 'ready' });

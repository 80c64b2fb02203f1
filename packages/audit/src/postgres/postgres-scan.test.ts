import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event } from '../__support__/log.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { startTestPostgres, type TestPostgres } from './__support__/embedded-postgres.js';
import { newHolder } from './postgres-lease.js';
import { verifyPostgresLog } from './postgres-log.js';
import { tablesOf } from './postgres-schema.js';
import { createPostgresAuditSink, type PostgresAuditSink } from './postgres-sink.js';
import { PostgresWriter } from './postgres-writer.js';

let db: TestPostgres;
const keys = generateNoteKeys('writ/audit/big');
const signer = createNoteSigner(keys.signerKey);
const verifier = parseVerifierKey(keys.verifierKey);

beforeAll(async () => {
  db = await startTestPostgres();
});
afterAll(async () => {
  await db?.stop();
});

const BATCH = 5_000;

async function fill(sink: PostgresAuditSink, from: number, count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    await Promise.all(
      Array.from({ length: n }, (_, i) => sink.append(event(from + done + i), { durability: 'batched' })),
    );
  }
}

/** A writer that stops without closing (a crash): its pool ends, and its lease is let expire at once. */
async function crash(schema: string, logId: string, pool: pg.Pool, sink: PostgresAuditSink): Promise<void> {
  await sink.flush?.();
  await pool.end();
  await db.admin.query(
    `UPDATE "${schema}".leases SET expires_at = now() - interval '1 second' WHERE log_id = $1`,
    [logId],
  );
}

async function timedOpen(options: Parameters<typeof createPostgresAuditSink>[0]) {
  const start = performance.now();
  const sink = await createPostgresAuditSink(options);
  return { sink, ms: performance.now() - start };
}

describe('reopening a PostgreSQL log', () => {
  it('reads only the records since the last checkpoint: a 100k-record log opens in time bounded by its tail (figures printed)', async () => {
    const schema = 'big';
    const connectionString = db.connectionString();
    const base = { connectionString, schema, logId: 'big', signer };
    const figures: string[] = [];

    // 100 000 records, sealed every 1000 and at close
    const builder = await createPostgresAuditSink({ ...base, checkpointEvery: 1_000 });
    await fill(builder, 0, 100_000);
    await builder.close?.();
    const sealed = builder.size;

    const tails = [0, 1_000, 10_000, 50_000];
    let written = 100_000;
    let size = sealed;
    for (const tail of tails) {
      if (tail > 0) {
        // a writer appends `tail` records with no checkpoint, then crashes
        const pool = new pg.Pool({ connectionString, max: 4 });
        const writer = await createPostgresAuditSink({
          ...base,
          connectionString: undefined,
          pool,
          checkpointEvery: 10_000_000,
          checkpointIntervalMs: 3_600_000,
        });
        await fill(writer, written, tail);
        written += tail;
        size = writer.size;
        await crash(schema, 'big', pool, writer);
      }
      // what is read back: from the last checkpoint record on
      const pool = new pg.Pool({ connectionString, max: 2 });
      const probe = await PostgresWriter.open(pool, tablesOf(schema), 'big', newHolder(), 60_000);
      const scanned = await probe.scan(5_000, { logId: 'big', origin: 'writ/audit/big', verifier });
      expect(scanned.resume.size).toBe(size);
      expect(size - scanned.from).toBe(tail + 1); // the checkpoint record and the tail after it
      await probe.close();
      await pool.end();

      const { sink, ms } = await timedOpen(base);
      expect(sink.size).toBe(size);
      figures.push(`log of ${size} records, tail ${tail}: open ${ms.toFixed(0)} ms`);
      await sink.close?.(); // seals: the next round starts from a checkpoint again
      size = sink.size;
    }
    const { sink: full, ms: fullMs } = await timedOpen({ ...base, reopen: 'full' });
    figures.push(
      `log of ${full.size} records, reopen: 'full' (every record read): open ${fullMs.toFixed(0)} ms`,
    );
    await full.close?.();
    console.log(`PostgreSQL audit log reopen times:\n  ${figures.join('\n  ')}`);
    const result = await verifyPostgresLog('big', {
      connectionString,
      schema,
      verifierKey: keys.verifierKey,
    });
    expect(result).toMatchObject({ ok: true, records: full.size });
  }, 300_000);
});

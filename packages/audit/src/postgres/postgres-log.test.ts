import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@writ/core/plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { signCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { peekEnvelope } from '../envelope-prefix.js';
import { leafHash } from '../merkle/hashing.js';
import { encodeEnvelope } from '../record.js';
import { startTestPostgres, type TestPostgres } from './__support__/embedded-postgres.js';
import { readPostgresLog, readVerifiedPostgresLog, verifyPostgresLog } from './postgres-log.js';
import { createPostgresAuditSink, type PostgresAuditSink } from './postgres-sink.js';

let db: TestPostgres;
let keyDir: string;

beforeAll(async () => {
  db = await startTestPostgres();
  keyDir = await mkdtemp(join(tmpdir(), 'writ-pg-keys-'));
});
afterAll(async () => {
  await db?.stop();
  if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
});

function event(n: number): AuditEvent {
  return {
    v: 1,
    id: `evt-${n}`,
    time: new Date(1_790_000_000_000 + n).toISOString(),
    service: 'test',
    taskId: `task-${n}`,
    correlationId: 'corr',
    requester: { kind: 'human', id: 'zoë@example.com', name: 'Zoë 🦊', assurance: 'verified' },
    chain: [{ kind: 'agent', id: 'spiffe://writ.test/agent/a', name: 'a', assurance: 'verified' }],
    autonomous: false,
    kind: 'task-end',
    status: 'ok',
    durationMs: n,
  };
}

async function buildLog(schema: string, logId: string, count: number): Promise<PostgresAuditSink> {
  const sink = await createPostgresAuditSink({
    connectionString: db.connectionString(),
    schema,
    logId,
    keyDir,
    checkpointEvery: 10,
  });
  await Promise.all(
    Array.from({ length: count }, (_, i) => sink.append(event(i), { durability: 'batched' })),
  );
  await sink.close?.();
  return sink;
}

const where = () => ({ connectionString: db.connectionString() });

describe('reading and verifying a PostgreSQL log', () => {
  it('reads the stored bytes in index order across pages, exactly as hashed', async () => {
    const sink = await buildLog('reads', 'paged', 45);
    const lines = [];
    for await (const line of readPostgresLog('paged', { ...where(), schema: 'reads', pageSize: 7 }))
      lines.push(line);
    expect(lines.map((l) => l.offset)).toEqual(lines.map((_, i) => i));
    expect(lines.length).toBe(sink.size);
    const { rows } = await db.admin.query<{ leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM reads.records WHERE log_id = $1 ORDER BY idx',
      ['paged'],
    );
    lines.forEach((line, i) => {
      expect(line.complete).toBe(true);
      expect(leafHash(line.bytes).equals(rows[i]?.leaf_hash ?? Buffer.alloc(0))).toBe(true);
    });
    expect(lines[0]?.bytes.toString('utf8')).toContain('Zoë 🦊');
    const result = await verifyPostgresLog('paged', { ...where(), schema: 'reads', pageSize: 7 });
    expect(result).toMatchObject({ ok: true, records: 45 + result.checkpoints, keyPinned: false });
  });

  it('names the record whose bytes were changed in the table', async () => {
    const sink = await buildLog('tamper', 'changed', 30);
    await db.admin.query(
      `UPDATE tamper.records SET line = replace(line, '"durationMs":7,', '"durationMs":8,') WHERE log_id = $1 AND idx = 7`,
      ['changed'],
    );
    const result = await verifyPostgresLog('changed', {
      ...where(),
      schema: 'tamper',
      verifierKey: sink.verifierKey,
    });
    expect(result).toMatchObject({ ok: false, firstBadIndex: 7 });
    expect(result.reason).toContain('7');
    // and the writer refuses to continue it when it rereads the whole log (`reopen: 'full'`; the default
    // reads only what follows the last checkpoint, which is intact here)
    await expect(
      createPostgresAuditSink({ ...where(), schema: 'tamper', logId: 'changed', keyDir, reopen: 'full' }),
    ).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE', details: { reason: 'log_damaged', index: 7 } });
  });

  it('readVerifiedPostgresLog: every record with its evidence; after a changed row, failed from the last good seal on', async () => {
    const sink = await buildLog('shown', 'read-verified', 30);
    const intact = await readVerifiedPostgresLog('read-verified', {
      ...where(),
      schema: 'shown',
      verifierKey: sink.verifierKey,
    });
    expect(intact.verification).toMatchObject({ ok: true, keyPinned: true });
    const events = intact.records.filter((r) => r.record?.kind === 'task-end');
    expect(events).toHaveLength(30);
    expect(new Set(intact.records.map((r) => r.evidence))).toEqual(new Set(['verified']));
    const unverified = await readVerifiedPostgresLog('read-verified', {
      ...where(),
      schema: 'shown',
      verify: false,
    });
    expect(unverified.verification).toBeUndefined();
    expect(unverified.records).toHaveLength(intact.records.length);
    expect(new Set(unverified.records.map((r) => r.evidence))).toEqual(new Set(['unverified']));

    const changed = 17;
    await db.admin.query(
      `UPDATE shown.records SET line = replace(line, '"status":"ok"', '"status":"error"') WHERE log_id = $1 AND idx = $2`,
      ['read-verified', changed],
    );
    const damaged = await readVerifiedPostgresLog('read-verified', {
      ...where(),
      schema: 'shown',
      verifierKey: sink.verifierKey,
    });
    expect(damaged.verification).toMatchObject({ ok: false, firstBadIndex: changed });
    const covered = damaged.verification?.covered ?? 0;
    expect(covered).toBeLessThanOrEqual(changed);
    // every record is still read (none dropped), the changed one as it stands, and none from the last good seal on is verified
    expect(damaged.records).toHaveLength(intact.records.length);
    expect(damaged.records[changed]?.record).toMatchObject({ kind: 'task-end', status: 'error' });
    for (const r of damaged.records) expect(r.evidence).toBe(r.index < covered ? 'verified' : 'failed');
  });

  it('detects records removed from the end against the published checkpoint', async () => {
    const sink = await buildLog('tamper', 'truncated', 30);
    await db.admin.query('DELETE FROM tamper.records WHERE log_id = $1 AND idx >= 25', ['truncated']);
    const result = await verifyPostgresLog('truncated', {
      ...where(),
      schema: 'tamper',
      verifierKey: sink.verifierKey,
    });
    expect(result).toMatchObject({ ok: false, firstBadIndex: 25 });
    expect(result.reason).toContain('removed');
  });

  it('refuses to continue a log whose last checkpoint was re-signed by another key, chain and hashes intact', async () => {
    const sink = await buildLog('tamper', 'forged', 15);
    const { rows } = await db.admin.query<{ idx: string; line: string }>(
      'SELECT idx, line FROM tamper.records WHERE log_id = $1 ORDER BY idx DESC LIMIT 1',
      ['forged'],
    );
    const last = rows[0];
    const peek = peekEnvelope(last?.line ?? '');
    if (last === undefined || peek === undefined) throw new Error('no last record');
    const original = JSON.parse(last.line) as { r: { note: string } };
    // the same checkpoint (origin, size, root, time), signed by someone else
    const cp = parseCheckpoint(original.r.note.slice(0, original.r.note.indexOf('\n\n') + 1));
    const stranger = createNoteSigner(generateNoteKeys(sink.origin).signerKey);
    const note = signCheckpoint(cp, stranger);
    const line = encodeEnvelope({ i: peek.i, p: peek.p, r: { v: 1, kind: 'checkpoint', note } });
    await db.admin.query(
      'UPDATE tamper.records SET line = $3, leaf_hash = $4 WHERE log_id = $1 AND idx = $2',
      ['forged', last.idx, line, leafHash(Buffer.from(line, 'utf8'))],
    );
    await expect(
      createPostgresAuditSink({ ...where(), schema: 'tamper', logId: 'forged', keyDir }),
    ).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'log_damaged', index: peek.i },
    });
    const result = await verifyPostgresLog('forged', {
      ...where(),
      schema: 'tamper',
      verifierKey: sink.verifierKey,
    });
    expect(result).toMatchObject({ ok: false, firstBadIndex: peek.i });
  });

  it('republishes the newest checkpoint on open when the checkpoints row fell behind', async () => {
    const sink = await buildLog('reads', 'republish', 12);
    const published = async () =>
      (
        await db.admin.query<{ note: string }>('SELECT note FROM reads.checkpoints WHERE log_id = $1', [
          'republish',
        ])
      ).rows[0]?.note;
    const before = await published();
    expect(before).toBeDefined();
    await db.admin.query('DELETE FROM reads.checkpoints WHERE log_id = $1', ['republish']);
    const reopened = await createPostgresAuditSink({
      ...where(),
      schema: 'reads',
      logId: 'republish',
      keyDir,
    });
    expect(await published()).toBe(before); // the very same note
    await reopened.close?.();
    expect(reopened.size).toBe(sink.size);
  });

  it('refuses a log that does not exist and bad arguments', async () => {
    await buildLog('reads', 'exists', 1);
    await expect(verifyPostgresLog('missing', { ...where(), schema: 'reads' })).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'no_log' },
    });
    await expect(verifyPostgresLog('x y', where())).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });
    expect(() => readPostgresLog('ok', { ...where(), pageSize: 0 })).toThrow(/options\.pageSize/);
  });
});

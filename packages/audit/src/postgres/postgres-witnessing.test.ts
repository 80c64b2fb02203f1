import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WritError } from '@writ/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event } from '../__support__/log.js';
import { exportFleet } from '../fleet/export-fleet.js';
import { createFleetSealer } from '../fleet/fleet-sealer.js';
import { verifyLog } from '../verify/verify-log.js';
import { generateWitnessKeys, verifyCosignatures } from '../witness/cosignature.js';
import { createWitness, type Witness } from '../witness/witness.js';
import { startTestPostgres, type TestPostgres } from './__support__/embedded-postgres.js';
import { verifyPostgresLog } from './postgres-log.js';
import { createPostgresAuditSink } from './postgres-sink.js';

let db: TestPostgres;
let url: string;
let dir: string;
const witnesses: Witness[] = [];

beforeAll(async () => {
  db = await startTestPostgres();
  url = await db.createRole('witnessed_writer');
  dir = await mkdtemp(join(tmpdir(), 'writ-pg-witness-'));
});
afterAll(async () => {
  await Promise.all(witnesses.map((w) => w.close()));
  await db?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('PostgreSQL sink witnesses option', () => {
  it('publishes each checkpoint with the witness cosignatures in the checkpoints row; verify --witness passes on the database and on an exported bundle', async () => {
    const keyDir = join(dir, 'keys');
    const open = (witnessed: { url: string; verifierKey: string }[], errors: WritError[] = []) =>
      createPostgresAuditSink({
        connectionString: url,
        schema: 'wit',
        logId: 'member-w',
        keyDir,
        checkpointEvery: 5,
        witnesses: witnessed,
        onError: (e) => errors.push(e),
      });
    const first = await open([]);
    await first.close?.();
    const keys = generateWitnessKeys('w.test/pg');
    const witness = await createWitness({
      key: keys.signerKey,
      stateDir: join(dir, 'witness'),
      logs: [{ origin: first.origin, verifierKey: first.verifierKey }],
    });
    witnesses.push(witness);
    const server = await witness.listen();
    const errors: WritError[] = [];
    const sink = await open([{ url: server.url, verifierKey: keys.verifierKey }], errors);
    for (let n = 0; n < 17; n++) await sink.append(event(n), { durability: 'strict' });
    await sink.close?.();
    expect(errors).toEqual([]);
    const { rows } = await db.admin.query<{ note: string; size: string }>(
      "SELECT note, size FROM wit.checkpoints WHERE log_id = 'member-w'",
    );
    const note = rows[0]?.note as string;
    expect(verifyCosignatures(note, [keys.verifierKey]).ok).toBe(true);
    expect((await witness.state(sink.origin))?.size).toBe(Number(rows[0]?.size));
    const requirement = { keys: [keys.verifierKey], threshold: 1 };
    const inDb = await verifyPostgresLog('member-w', {
      connectionString: url,
      schema: 'wit',
      verifierKey: sink.verifierKey,
      witnesses: requirement,
    });
    expect(inDb).toMatchObject({ ok: true, state: 'anchored' });

    // the same log exported as a fleet member keeps the cosigned checkpoint
    const sealer = await createFleetSealer({
      connectionString: url,
      schema: 'wit',
      keyDir: join(dir, 'fleet-keys'),
      members: 'first-seen',
    });
    await sealer.sealNow();
    await sealer.close();
    const out = join(dir, 'bundle');
    await exportFleet({ connectionString: url, schema: 'wit', out });
    expect(await readFile(join(out, 'members/member-w/checkpoint'), 'utf8')).toBe(note);
    const exported = await verifyLog(join(out, 'members/member-w'), {
      verifierKey: sink.verifierKey,
      witnesses: requirement,
    });
    expect(exported).toMatchObject({ ok: true, state: 'anchored' });

    // without the cosignatures (the row's note reduced to the log's own signature) verify fails
    const own = note.slice(0, note.indexOf('\n', note.indexOf('\n\n') + 2) + 1);
    await db.admin.query("UPDATE wit.checkpoints SET note = $1 WHERE log_id = 'member-w'", [own]);
    const stripped = await verifyPostgresLog('member-w', {
      connectionString: url,
      schema: 'wit',
      verifierKey: sink.verifierKey,
      witnesses: requirement,
    });
    expect(stripped).toMatchObject({ ok: false, state: 'failed' });
    expect(stripped.reason).toMatch(/^not witnessed: /);
  });
});

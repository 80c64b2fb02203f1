import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, tempDir } from '../__support__/log.js';
import { startTestPostgres, type TestPostgres } from '../postgres/__support__/embedded-postgres.js';
import { createPostgresAuditSink, type PostgresAuditSink } from '../postgres/postgres-sink.js';
import { verifyLog } from '../verify/verify-log.js';
import { exportFleet } from './export-fleet.js';
import { createFleetSealer } from './fleet-sealer.js';
import { verifyFleet } from './verify-fleet.js';

let db: TestPostgres;
let url: string;
let root: string;

beforeAll(async () => {
  db = await startTestPostgres();
  url = await db.createRole('fleet_writer');
  root = await tempDir('writ-fleet-');
});
afterAll(async () => {
  await db?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

async function members(
  schema: string,
  ids: readonly string[],
  records: number,
): Promise<PostgresAuditSink[]> {
  return Promise.all(
    ids.map(async (logId) => {
      const sink = await createPostgresAuditSink({
        connectionString: url,
        schema,
        logId,
        keyDir: join(root, 'keys'),
      });
      for (let n = 0; n < records; n++) await sink.append(event(n), { durability: 'strict' });
      await sink.checkpoint();
      return sink;
    }),
  );
}

describe('fleet log: sealer, export, verifyFleet', () => {
  it('seals every member once its key is endorsed, exports byte-identical logs, and verifies the bundle', async () => {
    const sinks = await members('f1', ['a-1', 'a-2', 'a-3'], 5);
    const sealer = await createFleetSealer({
      connectionString: url,
      schema: 'f1',
      keyDir: join(root, 'fleet-keys'),
      members: 'first-seen',
    });
    const first = await sealer.sealNow();
    expect(first?.endorsed).toEqual(['a-1', 'a-2', 'a-3']);
    expect(first?.sealed.map((s) => s.logId)).toEqual(['a-1', 'a-2', 'a-3']);
    for (const sink of sinks) {
      for (let n = 5; n < 9; n++) await sink.append(event(n), { durability: 'strict' });
      await sink.checkpoint();
    }
    const second = await sealer.sealNow();
    expect(second?.endorsed).toEqual([]);
    expect(second?.sealed.map((s) => s.size)).toEqual([11, 11, 11]);
    await sealer.close();
    await Promise.all(sinks.map((s) => s.close?.()));

    const out = join(root, 'bundle-1');
    const manifest = await exportFleet({ connectionString: url, schema: 'f1', out });
    expect(manifest.members.map((m) => m.logId)).toEqual(['a-1', 'a-2', 'a-3']);
    const { rows } = await db.admin.query<{ line: string }>(
      "SELECT line FROM f1.records WHERE log_id = 'a-2' ORDER BY idx",
    );
    expect(await readFile(join(out, 'members/a-2/000000000000.jsonl'), 'utf8')).toBe(
      rows.map((r) => `${r.line}\n`).join(''),
    );
    const fleetKey = JSON.parse(await readFile(join(out, 'fleet/log.json'), 'utf8')).verifierKey as string;
    const result = await verifyFleet(out, { fleetKey, workers: 1 });
    expect(result.problems).toEqual([]);
    expect(result.state).toBe('unanchored'); // the fleet log itself: nothing outside it
    expect(result.members.map((m) => m.state)).toEqual(['anchored', 'anchored', 'anchored']);
    const kept = await readFile(join(out, 'fleet/checkpoint'), 'utf8');
    expect((await verifyFleet(out, { fleetKey, checkpoint: kept })).state).toBe('anchored');
    expect((await verifyFleet(out)).state).toBe('unpinned');
    expect((await verifyLog(join(out, 'members/a-1'), {})).ok).toBe(true);

    // a member cut back to fewer records than sealed, in a copy of the bundle
    const cut = join(root, 'bundle-cut');
    await cp(out, cut, { recursive: true });
    const segment = join(cut, 'members/a-3/000000000000.jsonl');
    const lines = (await readFile(segment, 'utf8')).split('\n').slice(0, 6);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(segment, `${lines.join('\n')}\n`);
    await rm(join(cut, 'members/a-3/checkpoint'));
    const verdict = await verifyFleet(cut, { fleetKey });
    expect(verdict.firstBad).toMatchObject({ log: 'a-3', index: 6 });
    expect(await readdir(join(cut, 'members'))).toHaveLength(3);
  });

  it('endorses only the configured keys and refuses a member that rolled back', async () => {
    const [a, b] = await members('f2', ['b-1', 'b-2'], 3);
    if (a === undefined || b === undefined) throw new Error('no sinks');
    const problems: string[] = [];
    const sealer = await createFleetSealer({
      connectionString: url,
      schema: 'f2',
      keyDir: join(root, 'fleet-keys'),
      members: { 'b-1': a.verifierKey, 'b-2': 'not-the-key' },
      onError: (e) => problems.push(String(e.details?.reason)),
    });
    const report = await sealer.sealNow();
    expect(report?.endorsed).toEqual(['b-1']);
    expect(problems).toEqual(['member_not_endorsed']);
    const older = await a.checkpoint();
    for (let n = 3; n < 6; n++) await a.append(event(n), { durability: 'strict' });
    await a.checkpoint();
    expect((await sealer.sealNow())?.sealed).toEqual([{ logId: 'b-1', size: 9 }]);
    await a.close?.();
    await b.close?.();
    // roll b-1 back: its published checkpoint replaced by an older one its key signed
    await db.admin.query("UPDATE f2.checkpoints SET size = 5, note = $1 WHERE log_id = 'b-1'", [older]);
    problems.length = 0;
    const again = await sealer.sealNow();
    expect(again?.sealed).toEqual([]);
    expect(problems).toContain('member_rolled_back');
    await sealer.close();
  });
});

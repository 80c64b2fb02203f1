// Issue 21 item 4: fleet evidence. Six child processes, each with four runtimes (the `writ` package) writing their
// own PostgreSQL audit logs at once (24 member logs), the fleet's sealer running in every process behind one lock;
// the database exported to a bundle with a read-only role, then stopped; `writ verify --fleet` (the BUILT CLI, as a
// child) passes on the bundle offline and names each attack at its (log, index). Item 5's remainder: witnesses on
// the PostgreSQL sink. Build first (npx turbo run build).
import { fork } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createFileAuditSink,
  createFleetSealer,
  createPostgresAuditSink,
  createWitness,
  exportFleet,
  generateWitnessKeys,
  type Witness,
} from '@writ/audit';
import { loadOrCreateNoteSigner } from '@writ/audit/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';
import { STORE_KEY } from './fleet-members.js';

const MEMBER = fileURLToPath(new URL('./fleet-evidence-member.mjs', import.meta.url));
const PROCESSES = 6;
const RUNTIMES = 4;
const CALLS = 12;

let db: TestPostgres;
let root: string;
let fleetKey: string;
let anchorFile: string;
let good: string; // the bundle exported before any tampering
let tampered: string; // exported after one member row was changed
const tamperedAt = { log: 'm-2-1', index: 3 };
let writes: { members: number; records: number; ms: number };
let witness: Witness | undefined;

function runMember(index: number, url: string): Promise<Record<string, number>> {
  const ids = Array.from({ length: RUNTIMES }, (_, r) => `m-${index}-${r}`);
  const child = fork(MEMBER, [], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      WRIT_DIR: join(root, `process-${index}`),
      LOG_IDS: ids.join(','),
      FLEET_KEY_DIR: join(root, 'fleet-keys'),
      CALLS: String(CALLS),
      STORE_KEY,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let sizes: Record<string, number> | undefined;
    child.on('message', (m: { done?: boolean; sizes?: Record<string, number> }) => {
      if (m.done) sizes = m.sizes;
    });
    child.once('exit', (code) =>
      code === 0 && sizes ? resolve(sizes) : reject(new Error(`member process ${index} exited ${code}`)),
    );
  });
}

/** A read-only role: USAGE on the schema, SELECT on the three log tables; nothing else. */
async function readOnlyRole(): Promise<string> {
  await db.admin.query(`CREATE ROLE writ_export LOGIN PASSWORD 'export-only'`);
  await db.admin.query('GRANT USAGE ON SCHEMA writ_audit TO writ_export');
  await db.admin.query(
    'GRANT SELECT ON writ_audit.logs, writ_audit.records, writ_audit.checkpoints TO writ_export',
  );
  return `postgres://writ_export:export-only@127.0.0.1:${db.port}/postgres`;
}

const verifyFleetCli = (bundle: string, ...extra: string[]) =>
  runCli(['verify', '--fleet', bundle, '--key', fleetKey, '--checkpoint', anchorFile, '--json', ...extra]);

beforeAll(async () => {
  root = await tempDir('writ-fleet-evidence-');
  db = await startTestPostgres();
  const writer = await db.createRole('fleet_member');
  // the fleet key is provisioned once, shared by every replica that may run the sealer
  fleetKey = (await loadOrCreateNoteSigner(join(root, 'fleet-keys'), 'writ/audit/fleet')).verifierKey;
  // the schema exists before the processes race to create it
  await (
    await createPostgresAuditSink({
      connectionString: writer,
      logId: 'warm-up-probe',
      keyDir: join(root, 'k'),
    })
  ).close?.();
  await db.admin.query("DELETE FROM writ_audit.leases WHERE log_id = 'warm-up-probe'");
  await db.admin.query("DELETE FROM writ_audit.checkpoints WHERE log_id = 'warm-up-probe'");
  await db.admin.query("DELETE FROM writ_audit.records WHERE log_id = 'warm-up-probe'");
  await db.admin.query("DELETE FROM writ_audit.logs WHERE log_id = 'warm-up-probe'");

  const started = performance.now();
  const sizes = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => runMember(i, writer)));
  const all = Object.assign({}, ...sizes) as Record<string, number>;
  writes = {
    members: Object.keys(all).length,
    records: Object.values(all).reduce((a, b) => a + b, 0),
    ms: performance.now() - started,
  };
  // a last round after every member closed (their close checkpoints), as an operator runs before an export;
  // the fleet checkpoint it returns is kept outside the bundle: the anchor of the fleet log
  const sealer = await createFleetSealer({
    connectionString: writer,
    keyDir: join(root, 'fleet-keys'),
    createKey: false,
    members: 'first-seen',
  });
  const last = await sealer.sealNow();
  await sealer.close();
  anchorFile = join(root, 'fleet-anchor.note');
  const { rows } = await db.admin.query<{ note: string }>(
    "SELECT note FROM writ_audit.checkpoints WHERE log_id = 'fleet'",
  );
  await writeFile(anchorFile, last?.checkpoint ?? (rows[0]?.note as string));

  const reader = await readOnlyRole();
  good = join(root, 'bundle-good');
  const exported = await runCli(['export', reader, '--out', good, '--json']);
  expect(exported.code, exported.stderr).toBe(0);
  await expect(
    db.admin.query('SET ROLE writ_export; INSERT INTO writ_audit.logs VALUES ($1, $1, $1)', ['x']),
  ).rejects.toThrow();
  await db.admin.query('RESET ROLE');

  // attack: one member row changed in the database (a byte of one record), then exported
  await db.admin.query(
    "UPDATE writ_audit.records SET line = replace(line, 'issue_credit', 'issue_credix') WHERE log_id = $1 AND idx = $2",
    [tamperedAt.log, tamperedAt.index],
  );
  tampered = join(root, 'bundle-tampered');
  expect((await exportFleet({ connectionString: reader, out: tampered })).members).toHaveLength(24);
}, 300_000);

afterAll(async () => {
  await witness?.close();
  await db?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('fleet evidence: sealed, exported, verified offline', () => {
  it(
    attack(
      'fleet-postgres-witnessed',
      'witnesses on the PostgreSQL sink: verify --witness on the database and on the bundle',
    ),
    async () => {
      const url = db.connectionString('fleet_member');
      const keyDir = join(root, 'witnessed-keys');
      const first = await createPostgresAuditSink({
        connectionString: url,
        schema: 'witnessed',
        logId: 'w-1',
        keyDir,
      });
      await first.close?.();
      const keys = generateWitnessKeys('fleet.test/w');
      witness = await createWitness({
        key: keys.signerKey,
        stateDir: join(root, 'witness-state'),
        logs: [{ origin: first.origin, verifierKey: first.verifierKey }],
      });
      const served = await witness.listen();
      const sink = await createPostgresAuditSink({
        connectionString: url,
        schema: 'witnessed',
        logId: 'w-1',
        keyDir,
        checkpointEvery: 4,
        witnesses: [{ url: served.url, verifierKey: keys.verifierKey }],
      });
      const { event } = await import('../../../packages/audit/src/__support__/log.js');
      for (let n = 0; n < 10; n++) await sink.append(event(n), { durability: 'strict' });
      await sink.close?.();
      const target = `${url}#w-1`;
      const withWitness = ['--key', sink.verifierKey, '--witness', keys.verifierKey, '--json'];
      const pg = await runCli(['verify', url, '--log', 'w-1', '--schema', 'witnessed', ...withWitness]);
      expect(JSON.parse(pg.stdout)).toMatchObject({ state: 'anchored' });
      expect(pg.code).toBe(0);
      const sealer = await createFleetSealer({
        connectionString: url,
        schema: 'witnessed',
        keyDir: join(root, 'fleet-keys'),
        createKey: false,
        members: 'first-seen',
      });
      await sealer.sealNow();
      await sealer.close();
      const bundle = join(root, 'bundle-witnessed');
      await exportFleet({ connectionString: url, schema: 'witnessed', out: bundle });
      const member = await runCli(['verify', join(bundle, 'members', 'w-1'), ...withWitness]);
      expect(member.code).toBe(0);
      // the checkpoint without the cosignatures: not witnessed
      const { rows } = await db.admin.query<{ note: string }>(
        "SELECT note FROM witnessed.checkpoints WHERE log_id = 'w-1'",
      );
      const note = rows[0]?.note as string;
      const own = note.slice(0, note.indexOf('\n', note.indexOf('\n\n') + 2) + 1);
      await db.admin.query("UPDATE witnessed.checkpoints SET note = $1 WHERE log_id = 'w-1'", [own]);
      const stripped = await runCli(['verify', url, '--log', 'w-1', '--schema', 'witnessed', ...withWitness]);
      expect(stripped.code).toBe(1);
      expect(JSON.parse(stripped.stdout).reason).toMatch(/^not witnessed: /);
      expect(target).toContain('#w-1');
    },
  );

  it(
    attack(
      'fleet-bundle-verifies-offline',
      `${PROCESSES * RUNTIMES} member logs from ${PROCESSES} processes, verified with the database stopped`,
    ),
    async () => {
      await db.stop();
      const manifest = JSON.parse(await readFile(join(good, 'manifest.json'), 'utf8'));
      expect(manifest.members).toHaveLength(PROCESSES * RUNTIMES);
      expect(manifest.left).toEqual([]);
      const started = performance.now();
      const result = await verifyFleetCli(good);
      const ms = performance.now() - started;
      const json = JSON.parse(result.stdout);
      expect(json.problems).toEqual([]);
      expect(result.code).toBe(0);
      expect(json).toMatchObject({ ok: true, state: 'anchored' });
      expect(json.members.every((m: { state: string }) => m.state === 'anchored')).toBe(true);
      console.log(
        `fleet: ${writes.members} members, ${writes.records} records written by ${PROCESSES} processes in ${Math.round(writes.ms)} ms; ` +
          `writ verify --fleet: ${json.records} records in ${json.ms} ms in-process (${Math.round(json.records / (json.ms / 1000))} records/s, ` +
          `${json.workers} worker threads), ${Math.round(ms)} ms with CLI start-up`,
      );
      // without the fleet log's anchor: verified, unanchored (exit 4); without the fleet key: unpinned (exit 5)
      expect((await runCli(['verify', '--fleet', good, '--key', fleetKey])).code).toBe(4);
      expect((await runCli(['verify', good])).code).toBe(5);
      // the bundle where a log is read: tasks over every member, each verified with its endorsed key
      const tasks = await runCli(['tasks', good, '--key', fleetKey, '--checkpoint', anchorFile, '--json']);
      expect(tasks.code, tasks.stderr).toBe(0);
      const listed = JSON.parse(tasks.stdout);
      expect(listed.logs).toHaveLength(PROCESSES * RUNTIMES + 1);
      expect(
        listed.logs.every((l: { verification: { state: string } }) => l.verification.state === 'anchored'),
      ).toBe(true);
      // and the report over the bundle: one page, a verified panel per log of the fleet
      const page = join(root, 'fleet-report.html');
      const report = await runCli([
        'report',
        good,
        '--html',
        page,
        '--key',
        fleetKey,
        '--checkpoint',
        anchorFile,
      ]);
      expect(report.code, report.stderr).toBe(0);
      const panels =
        (await readFile(page, 'utf8')).match(/class="verification ok" data-status="anchored"/g) ?? [];
      expect(panels).toHaveLength(PROCESSES * RUNTIMES + 1);
    },
  );

  it(
    attack('fleet-member-row-tampered', 'one member row changed before export is named at its (log, index)'),
    async () => {
      const result = await verifyFleetCli(tampered);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).firstBad).toMatchObject(tamperedAt);
      expect((await verifyFleetCli(good)).code).toBe(0);
    },
  );

  it(
    attack('fleet-member-truncated-after-seal', 'a member cut back below its sealed checkpoint'),
    async () => {
      const bundle = join(root, 'bundle-cut');
      await cp(good, bundle, { recursive: true });
      const dir = join(bundle, 'members', 'm-4-2');
      const segment = join(dir, '000000000000.jsonl');
      const lines = (await readFile(segment, 'utf8')).split('\n');
      await writeFile(segment, `${lines.slice(0, 5).join('\n')}\n`);
      await rm(join(dir, 'checkpoint'));
      const result = await verifyFleetCli(bundle);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).firstBad).toMatchObject({ log: 'm-4-2', index: 5 });
    },
  );

  it(attack('fleet-member-removed', 'a member log removed from the bundle'), async () => {
    const bundle = join(root, 'bundle-removed');
    await cp(good, bundle, { recursive: true });
    await rm(join(bundle, 'members', 'm-3-0'), { recursive: true });
    const result = await verifyFleetCli(bundle);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.firstBad).toMatchObject({ log: 'm-3-0', index: null });
    expect(json.firstBad.reason).toMatch(/missing from the bundle/);
  });

  it(
    attack('fleet-unknown-log-in-bundle', 'a log the fleet never endorsed, added to the bundle'),
    async () => {
      const bundle = join(root, 'bundle-extra');
      await cp(good, bundle, { recursive: true });
      const extra = await createFileAuditSink({
        dir: join(bundle, 'members', 'intruder'),
        keyDir: join(root, 'intruder-keys'),
      });
      await extra.checkpoint();
      await extra.close?.();
      const result = await verifyFleetCli(bundle);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).firstBad).toMatchObject({ log: 'intruder', index: null });
    },
  );

  it(attack('fleet-member-unendorsed-key', 'a member rewritten and re-signed with another key'), async () => {
    const bundle = join(root, 'bundle-resigned');
    await cp(good, bundle, { recursive: true });
    // the insider's copy of m-1-1: the same records, sealed again with their own key, log.json naming it
    const dir = join(bundle, 'members', 'm-1-1');
    const meta = JSON.parse(await readFile(join(dir, 'log.json'), 'utf8'));
    const forged = await createFileAuditSink({
      dir: join(root, 'forged'),
      keyDir: join(root, 'forged-keys'),
    });
    await forged.checkpoint();
    await forged.close?.();
    await rm(dir, { recursive: true });
    await mkdir(dir);
    await cp(join(root, 'forged'), dir, { recursive: true });
    await writeFile(join(dir, 'log.json'), JSON.stringify({ ...meta, verifierKey: forged.verifierKey }));
    const result = await verifyFleetCli(bundle);
    expect(result.code).toBe(1);
    const bad = JSON.parse(result.stdout).firstBad;
    expect(bad).toMatchObject({ log: 'm-1-1', index: 0 });
    expect(bad.reason).toMatch(/key the fleet did not endorse/);
    expect(await readdir(join(bundle, 'members'))).toHaveLength(24);
  });
});

// A fleet bundle for the `writ verify --fleet` figure, made from the large log without writing it again:
// `members` member directories whose segment files are hard links to the large log's (so 10 members of
// the 1M-record log are a 10M-record fleet in no extra disk space), each endorsed and sealed at its
// published checkpoint in a fleet log written with the file sink and a fleet key of its own. Every
// member is a whole, genuine log: `verifyFleet` does all of its work on each (reads and hashes every
// record, builds every tree, checks every checkpoint and the sealed roots). The members share one origin
// and key, which the fleet log allows; the page cache holds one copy of the bytes for all of them, so
// the reads are cheaper than a fleet of distinct logs on a cold disk (the floor is measured the same way).
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink } from '@writ/audit';
import type { AuditEvent } from '@writ/core/plugin';

/** A fleet bundle on disk. */
export interface FleetBundle {
  readonly dir: string;
  readonly fleetKey: string;
  readonly memberDirs: readonly string[];
}

/** Builds the bundle in `dir` (removed first) from the log in `logDir`. */
export async function fleetBundle(logDir: string, dir: string, members: number): Promise<FleetBundle> {
  await rm(dir, { recursive: true, force: true });
  const meta = JSON.parse(await readFile(join(logDir, 'log.json'), 'utf8')) as {
    origin: string;
    verifierKey: string;
  };
  const note = await readFile(join(logDir, 'checkpoint'), 'utf8');
  const size = Number(note.split('\n')[1]);
  const memberDirs: string[] = [];
  const names = await readdir(logDir);
  for (let m = 0; m < members; m++) {
    const member = join(dir, 'members', `m-${m}`);
    await mkdir(member, { recursive: true });
    for (const name of names) await link(join(logDir, name), join(member, name));
    memberDirs.push(member);
  }
  const sink = await createFileAuditSink({ dir: join(dir, 'fleet'), keyDir: join(dir, 'fleet-keys') });
  const time = new Date().toISOString();
  for (let m = 0; m < members; m++) {
    const logId = `m-${m}`;
    const records = [
      {
        v: 1,
        kind: 'fleet-endorsement',
        time,
        logId,
        origin: meta.origin,
        verifierKey: meta.verifierKey,
        by: 'configured',
      },
      { v: 1, kind: 'fleet-seal', time, logId, size, previousSize: 0, checkpoint: note },
    ];
    for (const record of records)
      await sink.append(record as unknown as AuditEvent, { durability: 'batched' });
  }
  await sink.close?.();
  const manifest = {
    v: 1,
    kind: 'writ-fleet-bundle',
    exportedAt: time,
    source: 'bench (hard links to the large log)',
    fleet: { logId: 'fleet', origin: 'bench', records: 2 * members },
    members: memberDirs.map((_, m) => ({ logId: `m-${m}`, origin: meta.origin, records: size })),
    left: [],
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
  return { dir, fleetKey: sink.verifierKey, memberDirs };
}

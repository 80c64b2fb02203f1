// Issue 18 items 14 and 15: the file log's directory and files as another local user, or whoever can put
// files next to the log, would attack them: links planted where the writer is about to write, a directory
// anyone can write to, segments and checkpoints that are not regular files, a line that never ends.
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink, verifyLog } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';
import { cutCopy, runCliBounded, type SealedLog, sealedLog } from './evidence-logs.js';

let dir: string;
let sealed: SealedLog;
beforeAll(async () => {
  dir = await tempDir('writ-files-');
  sealed = await sealedLog(join(dir, 'sealed'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A synthetic event the sink accepts. */
const event = (n: number) =>
  ({
    v: 1,
    id: `evt-${n}`,
    time: new Date(1_790_000_000_000 + n).toISOString(),
    service: 'files',
    taskId: 'task',
    correlationId: 'corr',
    requester: null,
    chain: [{ kind: 'agent', id: 'spiffe://writ.test/agent/a', name: 'a', assurance: 'verified' }],
    autonomous: true,
    kind: 'task-end',
    status: 'ok',
    durationMs: 1,
  }) as const;

describe('the checkpoint publisher and the log directory (item 14)', () => {
  it(
    attack(
      'checkpoint-temp-symlink',
      'links planted at the names the publisher writes its temporary file under are never written through',
    ),
    async () => {
      const logDir = join(dir, 'planted');
      await mkdir(logDir, { mode: 0o700 });
      const victim = join(dir, 'victim.txt');
      await writeFile(victim, 'precious\n');
      // every name the publisher of this process could pick, in order, points at the victim
      for (let n = 1; n <= 200; n++)
        await symlink(victim, join(logDir, `checkpoint.${process.pid}.${n}.tmp`));
      await symlink(victim, join(logDir, 'checkpoint.tmp'));

      const sink = await createFileAuditSink({ dir: logDir, keyDir: join(dir, 'planted-keys') });
      for (let n = 0; n < 3; n++) {
        await sink.append(event(n), { durability: 'strict' });
        await sink.checkpoint();
      }
      await sink.close?.();

      expect(await readFile(victim, 'utf8')).toBe('precious\n');
      const published = await stat(join(logDir, 'checkpoint'));
      expect(published.isFile()).toBe(true);
      // nothing left behind but the planted links
      const left = (await readdir(logDir)).filter((n) => n.endsWith('.tmp'));
      expect(left).toHaveLength(201);
      expect(
        await verifyLog(logDir, { verifierKey: sink.verifierKey }).then((r) => [r.ok, r.records]),
      ).toEqual([true, 6]);
    },
  );

  it(
    attack(
      'audit-dir-world-writable',
      'a log directory any user can write to is refused (typed), not used as is',
    ),
    async () => {
      for (const mode of [0o777, 0o1777, 0o703]) {
        const logDir = join(dir, `loose-${mode.toString(8)}`);
        await mkdir(logDir);
        await chmod(logDir, mode);
        await expect(
          createFileAuditSink({ dir: logDir, keyDir: join(dir, 'loose-keys') }),
          mode.toString(8),
        ).rejects.toMatchObject({
          name: 'WritError',
          code: 'WRIT_AUDIT_UNAVAILABLE',
          details: { reason: 'dir_permissions', dir: logDir },
          message: expect.stringMatching(/writable by other users/),
        });
        // refused before anything was written into it
        expect(await readdir(logDir)).toEqual([]);
      }
      // a directory only its owner (and group) can write to is used
      const shared = join(dir, 'group');
      await mkdir(shared);
      await chmod(shared, 0o770);
      const sink = await createFileAuditSink({ dir: shared, keyDir: join(dir, 'group-keys') });
      await sink.close?.();
    },
  );
});

describe('what verify reads (item 15)', () => {
  it(
    attack(
      'verify-special-files',
      'a segment or a published checkpoint that is a link to /dev/zero ends verification with a finding, in bounded memory',
    ),
    async () => {
      const segmentZero = join(dir, 'zero-segment');
      await cutCopy(sealed.logDir, segmentZero, sealed.size);
      const [segment] = (await readdir(segmentZero)).filter((n) => n.endsWith('.jsonl'));
      await unlink(join(segmentZero, segment as string));
      await symlink('/dev/zero', join(segmentZero, segment as string));
      const r = await runCliBounded(['verify', segmentZero, '--key', sealed.verifierKey, '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        state: 'failed',
        firstBadIndex: 0,
        reason: `segment ${segment} is not a regular file (a symbolic link): refusing to read it`,
      });

      const checkpointZero = join(dir, 'zero-checkpoint');
      await cutCopy(sealed.logDir, checkpointZero, sealed.size);
      await unlink(join(checkpointZero, 'checkpoint'));
      await symlink('/dev/zero', join(checkpointZero, 'checkpoint'));
      const c = await runCliBounded(['verify', checkpointZero, '--key', sealed.verifierKey]);
      expect(c.code, c.stderr).toBe(3);
      expect(c.stderr).toMatch(
        /^WRIT_AUDIT_UNAVAILABLE: .*checkpoint is not a regular file \(a symbolic link\)/,
      );
    },
  );

  it(
    attack(
      'verify-endless-line',
      'a line longer than the bound is a finding at its index, not an allocation',
    ),
    async () => {
      const long = join(dir, 'long-line');
      await cutCopy(sealed.logDir, long, 3);
      const [segment] = (await readdir(long)).filter((n) => n.endsWith('.jsonl'));
      // record 3 starts and never ends: 4 MiB without a line break
      await writeFile(join(long, segment as string), Buffer.alloc(4 << 20, 0x61), { flag: 'a' });
      const result = await verifyLog(long, {
        verifierKey: sealed.verifierKey,
        maxRecordBytes: 1 << 20,
        threads: false,
      });
      expect(result).toMatchObject({
        ok: false,
        state: 'failed',
        records: 3,
        firstBadIndex: 3,
        reason: 'a line longer than 1048576 bytes (the bound on a record): not a Writ log record',
      });
      const threaded = await verifyLog(long, {
        verifierKey: sealed.verifierKey,
        maxRecordBytes: 1 << 20,
        threads: true,
      });
      expect(threaded).toEqual(result);
    },
  );
});

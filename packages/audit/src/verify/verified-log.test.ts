import { copyFile, cp, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLog, event, useTempDir } from '../__support__/log.js';
import { createFileAuditSink } from '../file/file-sink.js';
import { readVerifiedLog } from './verified-log.js';

let dir: string;
useTempDir('writ-verified-log-', (path) => {
  dir = path;
});

const segmentOf = async (logDir: string) =>
  join(logDir, (await readdir(logDir)).filter((n) => n.endsWith('.jsonl')).sort()[0] as string);

describe('reading a log verified in the same pass', () => {
  it('gives every record, verified under the pinned key, with the verdict', async () => {
    const sink = await buildLog(dir, 12, { checkpointEvery: 5 });
    const anchor = join(dir, 'anchor');
    await copyFile(join(sink.dir, 'checkpoint'), anchor);
    const { verification, records } = await readVerifiedLog(sink.dir, {
      verifierKey: sink.verifierKey,
      checkpoint: await readFile(anchor, 'utf8'),
    });
    expect(verification).toMatchObject({ ok: true, state: 'anchored', records: 15 });
    expect(records.map((r) => r.index)).toEqual([...Array(15).keys()]);
    expect(records.every((r) => r.evidence === 'verified' && r.record !== undefined)).toBe(true);
    expect(records[0]?.record).toMatchObject({ kind: 'task-end', id: 'evt-0' });
  });

  it('marks every record unverified without a pinned key, or when told not to verify', async () => {
    const sink = await buildLog(dir, 4);
    const unpinned = await readVerifiedLog(sink.dir);
    expect(unpinned.verification?.state).toBe('unpinned');
    expect(new Set(unpinned.records.map((r) => r.evidence))).toEqual(new Set(['unverified']));
    const unread = await readVerifiedLog(sink.dir, { verify: false });
    expect(unread.verification).toBeUndefined();
    expect(unread.records.map((r) => [r.index, r.evidence])).toEqual(
      [...Array(5).keys()].map((i) => [i, 'unverified']),
    );
  });

  it('reads on past the first bad record, marking the rest failed; a record that does not parse says why', async () => {
    const sink = await buildLog(dir, 8, { checkpointEvery: 3 });
    const copy = join(dir, 'copy');
    await cp(sink.dir, copy, { recursive: true });
    const segment = await segmentOf(copy);
    const lines = (await readFile(segment, 'utf8')).split('\n');
    lines[5] = (lines[5] as string).replace(/"(evt-\d+)"/, '"$1'); // no longer JSON: one quote gone
    lines[9] = (lines[9] as string).replace(/"durationMs":\d+/, '"durationMs":"slow"'); // JSON, not a record
    await writeFile(segment, lines.join('\n'));
    const { verification, records } = await readVerifiedLog(copy, { verifierKey: sink.verifierKey });
    expect(verification).toMatchObject({ state: 'failed', firstBadIndex: 5 });
    // under the checkpoint at 3: verified; after it nothing is proven (the record changed could be any
    // of them), from the first bad one on read as they stand: failed, and all still there
    expect(records.map((r) => r.evidence)).toEqual([
      'verified',
      'verified',
      'verified',
      ...Array(records.length - 3).fill('failed'),
    ]);
    expect(records).toHaveLength(lines.filter((l) => l !== '').length);
    expect(records[5]).toEqual({
      index: 5,
      record: undefined,
      problem: 'not valid JSON',
      evidence: 'failed',
      leafHash: expect.stringMatching(/^[0-9a-f]{64}$/), // what a receipt for it would name
    });
    expect(records[6]).toMatchObject({ index: 6, evidence: 'failed', record: { id: 'evt-5' } });
    expect(records[9]).toMatchObject({ index: 9, record: undefined, evidence: 'failed' });
    expect(records[9]?.problem).toMatch(/^does not match the record schema: /);
  });

  it('marks the records of a log still being written that no checkpoint covers yet', async () => {
    const sink = await createFileAuditSink({ dir: join(dir, 'live'), keyDir: join(dir, 'keys') });
    for (let n = 0; n < 3; n++) await sink.append(event(n), { durability: 'strict' });
    await sink.checkpoint();
    for (let n = 3; n < 5; n++) await sink.append(event(n), { durability: 'strict' });
    try {
      const { verification, records } = await readVerifiedLog(sink.dir, { verifierKey: sink.verifierKey });
      expect(verification).toMatchObject({ ok: true, state: 'unanchored', covered: 4 });
      expect(records.map((r) => r.evidence)).toEqual([
        'verified',
        'verified',
        'verified',
        'verified',
        'unsealed',
        'unsealed',
      ]);
    } finally {
      await sink.close?.();
    }
  });

  it('stops where the reader refuses to read on, saying why', async () => {
    const sink = await buildLog(dir, 3);
    const segment = await segmentOf(sink.dir);
    await unlink(segment);
    await symlink('/dev/zero', segment);
    const { verification, records } = await readVerifiedLog(sink.dir, { verifierKey: sink.verifierKey });
    expect(verification).toMatchObject({ state: 'failed', firstBadIndex: 0 });
    expect(records).toEqual([
      {
        index: 0,
        record: undefined,
        problem: 'segment 000000000000.jsonl is not a regular file (a symbolic link): refusing to read it',
        evidence: 'failed',
      },
    ]);
  });
});

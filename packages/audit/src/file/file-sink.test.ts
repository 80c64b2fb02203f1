import { appendFile, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink, openCheckpoint, parseVerifierKey, verifyLog } from '@writ/audit';
import { listSegments } from '@writ/audit/internal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildLog, event, pipeline, tempDir } from '../__support__/log.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
});

describe('file audit sink', () => {
  it('has the decision record on disk before the tool runs, and the outcome after', async () => {
    const { audit, writ } = await pipeline(dir);
    const seen: string[] = [];
    const probe = writ.tool({
      name: 'probe',
      input: z.object({}),
      execute: async () => {
        const text = await readFile(
          join(audit.dir, (await listSegments(audit.dir))[0]?.name as string),
          'utf8',
        );
        seen.push(
          ...text
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).r.kind),
        );
        return 'ok';
      },
    });
    await writ.task({ agent: 'support' }, () => probe.execute({}));
    expect(seen).toEqual(['task-start', 'decision']);
    await writ.close();
    const result = await verifyLog(audit.dir, { verifierKey: audit.verifierKey, deep: true });
    expect(result).toMatchObject({ ok: true, records: 5, checkpoints: 1, keyPinned: true });
    const kinds = (await readFile(join(audit.dir, '000000000000.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).r.kind);
    expect(kinds).toEqual(['task-start', 'decision', 'outcome', 'task-end', 'checkpoint']);
  });

  it('stores exactly the hashed bytes: each line is the canonical JSON of { i, p, r }', async () => {
    const sink = await buildLog(dir, 3);
    const lines = (await readFile(join(sink.dir, '000000000000.jsonl'), 'utf8')).trim().split('\n');
    const { canonicalJson } = await import('@writ/core/plugin');
    for (const [i, line] of lines.entries()) {
      const parsed = JSON.parse(line);
      expect(canonicalJson(parsed)).toBe(line);
      expect(parsed.i).toBe(i);
    }
    expect(JSON.parse(lines[1] as string).p).toMatch(/^[0-9a-f]{64}$/);
  });

  it('publishes a signed checkpoint covering every record, checkpoint records included', async () => {
    const sink = await buildLog(dir, 25, { checkpointEvery: 10 });
    const note = await readFile(join(sink.dir, 'checkpoint'), 'utf8');
    const cp = openCheckpoint(note, [parseVerifierKey(sink.verifierKey)]);
    const result = await verifyLog(sink.dir, { verifierKey: sink.verifierKey });
    expect(result.ok).toBe(true);
    expect(cp.size).toBe(result.records);
    expect(result.checkpoints).toBeGreaterThanOrEqual(3);
    expect(cp.extensions[0]).toMatch(/^time \d{4}-/);
  });

  it('continues the same log after reopening, and refuses a second writer', async () => {
    const first = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
    await first.append(event(1), { durability: 'strict' });
    await expect(
      createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') }),
    ).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'locked' },
    });
    await first.close?.();
    const second = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
    expect(second.origin).toBe(first.origin);
    expect(second.size).toBe(2);
    const receipt = await second.append(event(2), { durability: 'strict' });
    expect(receipt).toMatchObject({ log: first.origin, index: 2 });
    await second.close?.();
    expect(await verifyLog(second.dir, { verifierKey: first.verifierKey })).toMatchObject({
      ok: true,
      records: 4,
      checkpoints: 2,
    });
  });

  it('repairs a torn final line on open and the log still verifies', async () => {
    const sink = await buildLog(dir, 20);
    const segment = join(sink.dir, '000000000000.jsonl');
    await appendFile(segment, '{"i":22,"p":"00');
    expect((await verifyLog(sink.dir, { verifierKey: sink.verifierKey })).reason).toMatch(/cut short/);
    const reopened = await createFileAuditSink({ dir: sink.dir, keyDir: join(dir, 'keys') });
    // 20 events + the closing checkpoint survive; the torn 15 bytes are cut
    expect(reopened.opened).toEqual({ records: 21, repairedBytes: 15 });
    await reopened.append(event(99), { durability: 'strict' });
    await reopened.close?.();
    expect(await verifyLog(sink.dir, { verifierKey: sink.verifierKey })).toMatchObject({
      ok: true,
      records: 23,
    });
  });

  it('refuses to append to a log damaged anywhere but its tail', async () => {
    const sink = await buildLog(dir, 10);
    const segment = join(sink.dir, '000000000000.jsonl');
    const text = await readFile(segment, 'utf8');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(segment, text.replace('user-3@example.com', 'user-9@example.com'));
    await expect(createFileAuditSink({ dir: sink.dir, keyDir: join(dir, 'keys') })).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'log_damaged' },
    });
  });

  it('rotates segments by size and verifies across them', async () => {
    // a write batch never straddles two segments: append in small batches
    const sink = await buildLog(dir, 300, { maxSegmentBytes: 16 * 1024, batch: 10 });
    const segments = await listSegments(sink.dir);
    expect(segments.length).toBeGreaterThan(3);
    expect(segments[1]?.first).toBeGreaterThan(0);
    expect(await verifyLog(sink.dir, { verifierKey: sink.verifierKey })).toMatchObject({
      ok: true,
      records: 301,
    });
  });

  it('refuses a pinned key that is not the log’s', async () => {
    const sink = await buildLog(dir, 5);
    const other = await tempDir();
    const stranger = await buildLog(other, 1);
    const result = await verifyLog(sink.dir, { verifierKey: stranger.verifierKey });
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/does not verify/);
  });

  it('keeps its files private (0600) and its key beside the other keys', async () => {
    const sink = await buildLog(dir, 1);
    expect((await stat(join(sink.dir, '000000000000.jsonl'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(sink.dir, 'log.json'))).mode & 0o777).toBe(0o600);
    await truncate(join(sink.dir, 'checkpoint'), 0).catch(() => undefined);
  });
});

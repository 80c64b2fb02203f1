import { appendFile, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyLog } from '@writ/audit';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { buildLog, useTempDir } from '../__support__/log.js';
import { createFrontier } from '../merkle/frontier.js';
import { recoverLog } from './recovery.js';

let dir: string;
useTempDir('writ-recovery-', (path) => {
  dir = path;
});

describe('recovering a file log on open', () => {
  it('rebuilds the tree, the chain head and the sealed size from the stored records', async () => {
    const sink = await buildLog(dir, 25, { checkpointEvery: 10 });
    const verified = await verifyLog(sink.dir, { verifierKey: sink.verifierKey });
    const { resume, repairedBytes, lastSegment } = await recoverLog(sink.dir);
    expect(repairedBytes).toBe(0);
    expect(lastSegment).toBe(join(sink.dir, '000000000000.jsonl'));
    expect(resume.size).toBe(verified.records);
    expect(createFrontier(resume.frontier).root().toString('base64')).toBe(verified.root);
    const lines = (await readFile(lastSegment as string, 'utf8')).trim().split('\n');
    expect(JSON.parse(lines.at(-1) as string).r.kind).toBe('checkpoint');
    // the close() checkpoint is the last record: everything is sealed
    expect(resume.checkpointedSize).toBe(resume.size);
    expect(resume.lastLeafHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('cuts a torn final line off and reports its bytes', async () => {
    const sink = await buildLog(dir, 5);
    const segment = join(sink.dir, '000000000000.jsonl');
    const whole = (await stat(segment)).size;
    await appendFile(segment, '{"i":6,"p":"ab');
    const { resume, repairedBytes } = await recoverLog(sink.dir);
    expect(repairedBytes).toBe(14);
    expect((await stat(segment)).size).toBe(whole);
    expect(resume.size).toBe(6);
  });

  it('refuses a log whose chain is broken, naming the record', async () => {
    const sink = await buildLog(dir, 5);
    const segment = join(sink.dir, '000000000000.jsonl');
    const lines = (await readFile(segment, 'utf8')).split('\n');
    lines.splice(2, 1);
    await writeFile(segment, lines.join('\n'));
    const error = await recoverLog(sink.dir).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((error as WritError).details).toEqual({ reason: 'log_damaged', index: 2 });
  });

  it('refuses a segment that is not a regular file, and a line past the bound, without cutting anything', async () => {
    const sink = await buildLog(dir, 5);
    const segment = join(sink.dir, '000000000000.jsonl');
    const whole = (await stat(segment)).size;
    // an endless line is not a torn write: nothing may be truncated on its account
    await appendFile(segment, Buffer.alloc(1 << 20, 0x61));
    await appendFile(segment, Buffer.alloc(1, 0x61));
    const tooLong = await recoverLogWithin(sink.dir, 1 << 20);
    expect((tooLong as WritError).details).toEqual({ reason: 'log_damaged', index: 6 });
    expect((tooLong as WritError).message).toMatch(/a line longer than 1048576 bytes/);
    expect((await stat(segment)).size).toBe(whole + (1 << 20) + 1);

    await unlink(segment);
    await symlink('/dev/zero', segment);
    const linked = await recoverLog(sink.dir).catch((e: unknown) => e);
    expect(WritError.isInstance(linked, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((linked as WritError).message).toMatch(
      /damaged at record 0 \(segment 000000000000\.jsonl is not a regular file \(a symbolic link\)/,
    );
  });
});

/** `recoverLog` with a smaller bound on a record than the default (reading 256 MiB is slow in a test). */
async function recoverLogWithin(logDir: string, maxRecordBytes: number): Promise<unknown> {
  return recoverLog(logDir, { maxRecordBytes }).catch((e: unknown) => e);
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLog, useTempDir } from '../__support__/log.js';
import { memoryLog, storedLines } from '../__support__/memory-log.js';
import { readLines } from '../log-reader.js';
import { verifyLines } from './verify-lines.js';
import { verifyLog } from './verify-log.js';

let dir: string;
useTempDir(
  'writ-verify-lines-',
  (path) => {
    dir = path;
  },
  'all',
);

describe('verifyLines', () => {
  it('gives the verdict of verifyLog for the same lines from any source', async () => {
    const sink = await buildLog(dir, 40, { checkpointEvery: 15 });
    const fromDir = await verifyLog(sink.dir, { verifierKey: sink.verifierKey });
    const fromLines = await verifyLines(readLines(sink.dir), {
      origin: sink.origin,
      recordedVerifierKey: sink.verifierKey,
      verifierKey: sink.verifierKey,
      publishedCheckpoint: await readFile(join(sink.dir, 'checkpoint'), 'utf8'),
    });
    expect(fromLines).toEqual(fromDir);
    expect(fromLines.ok).toBe(true);
  });

  it('checks the published checkpoint against lines held in memory, and says the key was not pinned', async () => {
    const log = await memoryLog(10, 4);
    const options = { origin: log.origin, recordedVerifierKey: log.verifierKey };
    const published = log.published.at(-1);
    const ok = await verifyLines(storedLines(log.lines), { ...options, publishedCheckpoint: published });
    expect(ok).toMatchObject({ ok: true, records: log.lines.length, keyPinned: false });
    expect(ok.warnings).toEqual([
      'the verifier key was read from the log itself; pass a key obtained independently',
    ]);
    const cut = await verifyLines(storedLines(log.lines.slice(0, -2)), {
      ...options,
      publishedCheckpoint: published,
    });
    expect(cut).toMatchObject({
      ok: false,
      firstBadIndex: log.lines.length - 2,
      reason: `the log ends at ${log.lines.length - 2} records but the published checkpoint covers ${log.lines.length}: records were removed`,
    });
  });
});

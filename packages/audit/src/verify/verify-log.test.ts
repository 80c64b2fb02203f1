import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLog, useTempDir } from '../__support__/log.js';
import { verifyLog } from './verify-log.js';

let dir: string;
useTempDir(
  'writ-verify-log-',
  (path) => {
    dir = path;
  },
  'all',
);

describe('verifyLog', () => {
  it('reaches the same verdict hashing on a worker thread or on the calling thread', async () => {
    const sink = await buildLog(dir, 300, { checkpointEvery: 100, maxSegmentBytes: 16 * 1024 });
    const progress: number[] = [];
    const threaded = await verifyLog(sink.dir, { verifierKey: sink.verifierKey, threads: true });
    const inline = await verifyLog(sink.dir, {
      verifierKey: sink.verifierKey,
      threads: false,
      onProgress: (n) => progress.push(n),
    });
    expect(threaded).toEqual(inline);
    expect(inline).toMatchObject({ ok: true, records: 303, checkpoints: 3, sealed: 302, keyPinned: true });
    expect(progress).toEqual([]);
  });

  it('refuses a directory that holds no log', async () => {
    await expect(verifyLog(join(dir, 'nothing'))).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      message: `${join(dir, 'nothing')} holds no Writ log (log.json missing)`,
    });
  });
});

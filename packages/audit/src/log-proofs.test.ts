import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  openCheckpoint,
  parseVerifierKey,
  proveConsistency,
  proveInclusion,
  verifyConsistency,
  verifyInclusion,
} from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLog, tempDir } from './__support__/log.js';

let dir: string;
let audit: string;
let verifierKey: string;
beforeAll(async () => {
  dir = await tempDir('writ-proofs-');
  const sink = await buildLog(dir, 300, { checkpointEvery: 100 });
  audit = sink.dir;
  verifierKey = sink.verifierKey;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b = (s: string) => Buffer.from(s, 'base64');

describe('proofs on request, against signed checkpoints', () => {
  it('an inclusion proof for any record verifies against the published checkpoint’s root, and not for another record', async () => {
    const cp = openCheckpoint(await readFile(join(audit, 'checkpoint'), 'utf8'), [
      parseVerifierKey(verifierKey),
    ]);
    for (const index of [0, 1, 150, cp.size - 1]) {
      const p = await proveInclusion(audit, index, { size: cp.size });
      expect(p.root).toBe(cp.rootHash.toString('base64'));
      expect(
        verifyInclusion(Buffer.from(p.leafHash, 'hex'), index, cp.size, p.proof.map(b), cp.rootHash),
      ).toBe(true);
      expect(
        verifyInclusion(
          Buffer.from(p.leafHash, 'hex'),
          (index + 1) % cp.size,
          cp.size,
          p.proof.map(b),
          cp.rootHash,
        ),
      ).toBe(false);
    }
  });

  it('a consistency proof shows an earlier checkpoint’s tree is a prefix of the later one', async () => {
    const p = await proveConsistency(audit, 100);
    expect(verifyConsistency(p.oldSize, p.newSize, b(p.oldRoot), b(p.newRoot), p.proof.map(b))).toBe(true);
    expect(verifyConsistency(p.oldSize, p.newSize, Buffer.alloc(32, 1), b(p.newRoot), p.proof.map(b))).toBe(
      false,
    );
    await expect(proveConsistency(audit, 10_000)).rejects.toMatchObject({ code: 'WRIT_INPUT_INVALID' });
  });
});

import { describe, expect, it } from 'vitest';
import { memoryLog } from '../__support__/memory-log.js';
import { leafHash, rootOf } from '../merkle/hashing.js';
import { encodeEnvelope } from '../record.js';
import { createLineVerifier } from './line-verifier.js';
import type { VerifyResult } from './verify-options.js';

const log = await memoryLog(20, 8);

/** Pushes `lines` (complete unless `torn`) through a fresh verifier. */
function run(
  lines: readonly Buffer[],
  options: { deep?: boolean; torn?: Buffer; published?: string } = {},
): VerifyResult {
  const verifier = createLineVerifier({
    origin: log.origin,
    recordedVerifierKey: log.verifierKey,
    verifierKey: log.verifierKey,
    publishedCheckpoint: options.published,
    deep: options.deep,
  });
  const early = verifier.start();
  if (early !== undefined) return early;
  for (const [offset, bytes] of lines.entries()) {
    const verdict = verifier.push({ bytes, complete: true, segment: 'memory', offset }, leafHash(bytes));
    if (verdict !== undefined) return verdict;
  }
  if (options.torn !== undefined) {
    const verdict = verifier.push(
      { bytes: options.torn, complete: false, segment: 'memory', offset: 0 },
      undefined,
    );
    if (verdict !== undefined) return verdict;
  }
  return verifier.finish();
}

describe('the line verifier', () => {
  it('accepts the lines as written, with the verdict fields in their documented order', () => {
    const result = run(log.lines, { deep: true, published: log.published.at(-1) });
    expect(Object.keys(result)).toEqual([
      'ok',
      'state',
      'origin',
      'records',
      'checkpoints',
      'sealed',
      'covered',
      'root',
      'keyPinned',
      'unproven',
      'warnings',
    ]);
    expect(result).toEqual({
      ok: true,
      state: 'unanchored',
      origin: log.origin,
      records: log.lines.length,
      checkpoints: 3,
      sealed: log.lines.length - 1,
      covered: log.lines.length,
      root: rootOf(log.lines.map((line) => leafHash(line))).toString('base64'),
      keyPinned: true,
      unproven: [
        'truncation at a seal: records after one of its checkpoints could have been cut off, with the published checkpoint deleted or replaced by an older copy',
        'rollback: the whole log could be an older copy of itself',
      ],
      warnings: [],
    });
    // without its published checkpoint, the log's last record is sealed by nothing, and that is said
    expect(run(log.lines)).toMatchObject({
      ok: true,
      covered: log.lines.length - 1,
      warnings: [
        'the log holds checkpoints but publishes no checkpoint (its published copy is missing): records after its last checkpoint could have been cut off',
      ],
    });
  });

  it('names the first bad record and why, after the same fields', () => {
    const missing = run(log.lines.toSpliced(3, 1));
    expect(Object.keys(missing).slice(-4)).toEqual(['firstBadIndex', 'reason', 'unproven', 'warnings']);
    expect(missing).toMatchObject({
      ok: false,
      state: 'failed',
      records: 3,
      firstBadIndex: 3,
      reason: 'record 3 is missing (found record 4 in its place)',
      unproven: ['nothing from record 3 on is proven'],
    });
    expect(run(log.lines.slice(0, 4), { torn: Buffer.from('{"i":4') })).toMatchObject({
      firstBadIndex: 4,
      reason: 'the last record is cut short (torn write); the writer repairs it when it reopens the log',
    });
    const altered = log.lines.with(
      2,
      Buffer.from(log.lines[2]?.toString().replace('"evt-2"', '"evt-X"') ?? ''),
    );
    expect(run(altered)).toMatchObject({
      firstBadIndex: 2,
      reason: 'record 2 was altered (its hash no longer matches the chain)',
    });
  });

  it('checks each record against the schema when deep, naming the field', () => {
    const first = JSON.parse(log.lines[0]?.toString() ?? '');
    const bad = Buffer.from(encodeEnvelope({ i: 0, p: '', r: { ...first.r, durationMs: 'slow' } }));
    expect(run([bad]).ok).toBe(true);
    expect(run([bad], { deep: true })).toMatchObject({
      firstBadIndex: 0,
      reason: 'record does not match the schema: durationMs: Invalid input: expected number, received string',
    });
  });
});

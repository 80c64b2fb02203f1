import { describe, expect, it } from 'vitest';
import { memoryLog } from '../__support__/memory-log.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { leafHash, rootOf } from '../merkle/hashing.js';
import { checkpointRecordProblem, openTargets } from './checkpoint-checks.js';

const log = await memoryLog(12, 5);
const verifier = parseVerifierKey(log.verifierKey);
const hashes = log.lines.map((line) => leafHash(line));
const rootAt = (size: number) => () => rootOf(hashes.slice(0, size)).toString('base64');
const checkpointAt = log.lines.findIndex((line) => line.includes('"kind":"checkpoint"'));

describe('checkpoints the log must contain', () => {
  it('are opened in order, skipping absent ones', () => {
    const last = log.published.at(-1) as string;
    const opened = openTargets(
      [
        ['published checkpoint', last, false],
        ['given checkpoint', undefined, true],
        ['given checkpoint', log.published[0], true],
      ],
      verifier,
      log.origin,
    );
    expect(opened).toEqual({
      targets: [
        {
          label: 'published checkpoint',
          size: log.lines.length,
          root: rootAt(log.lines.length)(),
          anchor: false,
        },
        {
          label: 'given checkpoint',
          size: checkpointAt + 1,
          root: rootAt(checkpointAt + 1)(),
          anchor: true,
        },
      ],
    });
  });

  it('refuse the log when one does not verify or is for another log', () => {
    const other = createNoteSigner(generateNoteKeys('writ.test/other').signerKey);
    const forged = (log.published[0] as string).replace(/\n\n.*$/s, `\n\n${other.sign('x\n')}`);
    expect(openTargets([['given checkpoint', forged, true]], verifier, log.origin)).toEqual({
      reason: expect.stringMatching(/^the given checkpoint does not verify: signed note refused: /),
    });
    expect(
      openTargets([['published checkpoint', log.published[0], false]], verifier, 'writ.test/elsewhere'),
    ).toEqual({
      reason: `the published checkpoint is for another log (${log.origin})`,
    });
  });
});

describe('checkpoint records', () => {
  const record = log.lines[checkpointAt] as Buffer;

  it('verify against the tree of the records before them', () => {
    expect(checkpointAt).toBe(5);
    expect(
      checkpointRecordProblem(record, checkpointAt, verifier, log.origin, rootAt(checkpointAt)),
    ).toBeUndefined();
  });

  it('name what is wrong otherwise', () => {
    const problem = (bytes: Buffer, at = checkpointAt, origin = log.origin, root = rootAt(checkpointAt)) =>
      checkpointRecordProblem(bytes, at, verifier, origin, root);
    expect(problem(record, 6)).toBe('checkpoint claims 5 records but stands at 6');
    expect(problem(record, checkpointAt, 'writ.test/elsewhere')).toBe('checkpoint is for another log');
    expect(problem(record, checkpointAt, log.origin, rootAt(4))).toBe(
      'checkpoint root differs from the records before it: a record before 5 was altered',
    );
    expect(problem(Buffer.from('{"i":5,'))).toBe('checkpoint record is not valid JSON');
    expect(problem(Buffer.from('{"i":5,"p":"","r":{"kind":"checkpoint"}}'))).toBe(
      'checkpoint record has no note',
    );
    const resigned = record.toString('utf8').replace(/— \S+ \S+\\n/, '— writ.test/audit/memory AAAA\\n');
    expect(problem(Buffer.from(resigned))).toMatch(/^checkpoint signature does not verify: /);
  });
});

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './__support__/cli.js';
import { checkLogDir, NOT_A_LOG } from './log-dir.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('writ-log-dir-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error `checkLogDir` throws for `path`, as `{ code, reason, message }`. */
async function refusal(path: string) {
  const error = await checkLogDir(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!WritError.isInstance(error)) throw new Error(`expected a WritError, got ${String(error)}`);
  return { code: error.code, reason: error.details.reason, message: error.message };
}

describe('checkLogDir', () => {
  it('accepts a directory holding log.json, or record segments', async () => {
    const withMeta = join(dir, 'meta');
    await mkdir(withMeta);
    await writeFile(join(withMeta, 'log.json'), '{}');
    await expect(checkLogDir(withMeta)).resolves.toBeUndefined();
    const withSegment = join(dir, 'segment');
    await mkdir(withSegment);
    await writeFile(join(withSegment, '000000000000.jsonl'), '');
    await expect(checkLogDir(withSegment)).resolves.toBeUndefined();
  });

  it('says "not a Writ log" (reason not_a_log) for an empty directory, another directory, a file', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    expect(await refusal(empty)).toEqual({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      reason: NOT_A_LOG,
      message: `not a Writ log: ${empty} (the directory is empty)`,
    });
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'hello');
    await writeFile(join(other, '42.jsonl'), '');
    expect(await refusal(other)).toEqual({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      reason: NOT_A_LOG,
      message: `not a Writ log: ${other} (no log.json and no record segments (NNNNNNNNNNNN.jsonl) among its 2 entries)`,
    });
    const file = join(dir, 'file.txt');
    await writeFile(file, 'x');
    expect(await refusal(file)).toEqual({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      reason: NOT_A_LOG,
      message: `not a Writ log: ${file} (not a directory)`,
    });
  });

  it('says a path that does not exist cannot be read (no not_a_log reason)', async () => {
    const missing = join(dir, 'missing');
    expect(await refusal(missing)).toEqual({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      reason: undefined,
      message: `${missing} cannot be read`,
    });
  });
});

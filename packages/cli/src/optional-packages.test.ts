import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WritError } from '@writ/core';
import { afterAll, describe, expect, it } from 'vitest';
import { APPROVALS_PACKAGES } from './approvals-store.js';
import { missingOptionalPackage } from './optional-packages.js';

// Node's own "not found" error, from a directory outside the workspace where @writ/postgres is not installed.
const outside = mkdtempSync(join(tmpdir(), 'writ-postgres-missing-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

function importError(specifier: string): Error {
  const file = join(outside, 'imports.mjs');
  writeFileSync(file, `import '${specifier}';\n`);
  const report = `import(${JSON.stringify(pathToFileURL(file).href)}).then(
    () => console.log('null'),
    (e) => console.log(JSON.stringify({ code: e.code, message: e.message })),
  );`;
  const seen = JSON.parse(execFileSync(process.execPath, ['-e', report], { encoding: 'utf8' })) as {
    code: string;
    message: string;
  } | null;
  if (seen === null) throw new Error(`${specifier} is installed`);
  return Object.assign(new Error(seen.message), { code: seen.code });
}

const approvals = {
  packages: APPROVALS_PACKAGES,
  needs: 'writ approvals reads and answers the approvals your runtimes keep in PostgreSQL',
  reason: 'postgres_dependencies_missing',
};

describe('writ approvals without @writ/postgres', () => {
  it('says which package is missing and the install command', () => {
    const cause = importError('@writ/postgres');
    const refused = missingOptionalPackage(cause, approvals);
    expect(WritError.isInstance(refused)).toBe(true);
    expect(refused?.code).toBe('WRIT_NOT_CONFIGURED');
    expect(refused?.message).toBe(
      'writ approvals reads and answers the approvals your runtimes keep in PostgreSQL and needs ' +
        '@writ/postgres, pg installed beside @writ/cli (@writ/postgres is missing): npm install @writ/postgres pg',
    );
    expect(refused?.details).toEqual({
      reason: 'postgres_dependencies_missing',
      missing: '@writ/postgres',
      packages: ['@writ/postgres', 'pg'],
    });
  });

  it('leaves any other failure alone', () => {
    expect(missingOptionalPackage(importError('pgx'), approvals)).toBeUndefined();
    expect(missingOptionalPackage(new Error('boom'), approvals)).toBeUndefined();
  });
});

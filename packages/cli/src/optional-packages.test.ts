import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { importError as missingImport, outsideWorkspace } from './__support__/missing-package.js';
import { APPROVALS_PACKAGES } from './approvals-store.js';
import { missingOptionalPackage } from './optional-packages.js';

// Node's own "not found" error, from a directory outside the workspace where @writ/postgres is not installed.
const outside = outsideWorkspace('writ-postgres-missing-');
const importError = (specifier: string) => missingImport(outside, specifier);

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

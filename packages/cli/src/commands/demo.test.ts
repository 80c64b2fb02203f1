import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { importError as missingImport, outsideWorkspace } from '../__support__/missing-package.js';
import { DEMO_PACKAGES, demoPackageMissing } from './demo.js';

// Node's own "not found" errors, from a directory outside the workspace where the demo's packages are not
// installed (the consumer check in test/consumers/ runs `npx writ demo` in a project without them).
const outside = outsideWorkspace('writ-demo-missing-');
const importError = (specifier: string): unknown => missingImport(outside, specifier);

function requireError(specifier: string): unknown {
  try {
    createRequire(join(outside, 'index.cjs'))(specifier);
  } catch (error) {
    return error;
  }
  throw new Error(`${specifier} is installed`);
}

describe('writ demo without its packages', () => {
  it('names every package to install and the one missing (ESM import)', () => {
    const cause = importError('ai');
    expect((cause as { code: string }).code).toBe('ERR_MODULE_NOT_FOUND');
    const refused = demoPackageMissing(cause);
    expect(WritError.isInstance(refused)).toBe(true);
    expect(refused?.code).toBe('WRIT_NOT_CONFIGURED');
    expect(refused?.message).toBe(
      'writ demo runs its agents on the Vercel AI SDK and needs writ, @writ/ai-sdk, ai installed beside ' +
        '@writ/cli (ai is missing): npm install writ @writ/ai-sdk ai',
    );
    expect(refused?.details).toEqual({
      reason: 'demo_dependencies_missing',
      missing: 'ai',
      packages: [...DEMO_PACKAGES],
    });
    expect(refused?.cause).toBe(cause);
  });

  it('recognises CommonJS require failures and subpaths', () => {
    const cause = requireError('@writ/ai-sdk');
    expect((cause as { code: string }).code).toBe('MODULE_NOT_FOUND');
    expect(demoPackageMissing(cause)?.details).toMatchObject({ missing: '@writ/ai-sdk' });
    expect(demoPackageMissing(requireError('ai/test'))?.details).toMatchObject({ missing: 'ai' });
    expect(demoPackageMissing(requireError('writ'))?.details).toMatchObject({ missing: 'writ' });
  });

  it('leaves any other failure alone', () => {
    expect(demoPackageMissing(importError('not-a-demo-package'))).toBeUndefined();
    expect(demoPackageMissing(requireError('aim'))).toBeUndefined();
    expect(demoPackageMissing(new TypeError("Cannot find package 'ai'"))).toBeUndefined();
    expect(demoPackageMissing(undefined)).toBeUndefined();
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WritError } from '@writ/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PACKAGES, demoPackageMissing } from './demo.js';

// Node's own "not found" errors, from a directory outside the workspace where the demo's packages are not
// installed (the consumer check in test/consumers/ runs `npx writ demo` in a project without them).
const outside = mkdtempSync(join(tmpdir(), 'writ-demo-missing-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

/** The error Node's ESM loader gives (in a plain Node process: vitest's runner resolves imports itself). */
function importError(specifier: string): unknown {
  const file = join(outside, `imports-${specifier.replace(/\W/g, '_')}.mjs`);
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

// The `writ` command as npm links it: package.json's bin is a committed file (npm links bins at install
// time, before a fresh clone has built dist/), which runs the built program or says it is not built.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from './version.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  files: string[];
};
const scratch = mkdtempSync(join(tmpdir(), 'writ-bin-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = (bin: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('the writ bin', () => {
  it('is a committed file outside dist/, shipped in the package', () => {
    expect(manifest.bin).toEqual({ writ: './bin/writ.js' });
    expect(manifest.files).toContain('bin');
    const tracked = spawnSync('git', ['ls-files', '--error-unmatch', 'bin/writ.js'], { cwd: PACKAGE });
    expect(tracked.status, 'bin/writ.js is committed').toBe(0);
    expect(readFileSync(join(PACKAGE, 'bin', 'writ.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('runs the built program', () => {
    const version = run(join(PACKAGE, manifest.bin.writ as string), '--version');
    expect(version.stderr).toBe('');
    expect(version.stdout.trim()).toBe(VERSION);
    expect(version.status).toBe(0);
  });

  it('before the build, says so and how to build (exit 3), instead of a stack trace', () => {
    const unbuilt = join(scratch, 'unbuilt');
    mkdirSync(join(unbuilt, 'bin'), { recursive: true });
    copyFileSync(join(PACKAGE, 'bin', 'writ.js'), join(unbuilt, 'bin', 'writ.js'));
    copyFileSync(join(PACKAGE, 'package.json'), join(unbuilt, 'package.json'));
    const result = run(join(unbuilt, 'bin', 'writ.js'), 'verify', '.writ/audit');
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'writ: @writ/cli is not built yet (no dist/bin.js): run `npm run build` at the root of the Writ ' +
        'repository, then run writ again\n',
    );
    expect(result.status).toBe(3);
  });
});

// Installing `writ` gives the `writ` command (issue 19 item 1): its bin runs @writ/cli's, a dependency.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
};

describe('the writ bin of the writ package', () => {
  it('is declared, committed and shipped, and @writ/cli is a dependency', () => {
    expect(manifest.bin).toEqual({ writ: './bin/writ.js' });
    expect(manifest.files).toContain('bin');
    expect(manifest.dependencies['@writ/cli']).toBe(manifest.version);
    const tracked = spawnSync('git', ['ls-files', '--error-unmatch', 'bin/writ.js'], { cwd: PACKAGE });
    expect(tracked.status, 'bin/writ.js is committed').toBe(0);
  });

  it("runs @writ/cli's command: help, version, and a command's exit code", () => {
    const bin = join(PACKAGE, manifest.bin.writ as string);
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(run('--version').stdout.trim()).toBe(manifest.version);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: writ \[options\] \[command\]/);
    for (const command of ['verify', 'explain', 'report', 'keys', 'policy', 'demo']) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    const missing = run('verify', join(PACKAGE, 'no-such-log'));
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('WRIT_AUDIT_UNAVAILABLE');
  });
});

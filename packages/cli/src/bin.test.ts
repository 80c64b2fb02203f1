// The `writ` command as npm links it: package.json's bin is a committed file (npm links bins at install
// time, before a fresh clone has built dist/), which runs the built program or says it is not built.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, buildFixtureLog, type FixtureLog } from './__support__/cli.js';
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

describe('the writ process when its reader goes away (EPIPE)', () => {
  let fixture: FixtureLog;
  let anchor: string;
  beforeAll(async () => {
    fixture = await buildFixtureLog(join(scratch, 'epipe'));
    anchor = join(fixture.dir, 'anchor.checkpoint');
    copyFileSync(join(fixture.logDir, 'checkpoint'), anchor);
  });

  /** Runs the built binary with its stdout a pipe whose reading end is closed before anything is written. */
  async function runToClosedPipe(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.stdout.destroy(); // the reader is gone before the command starts
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stderr };
  }

  it("keeps the verdict's exit code, with no crash and nothing on stderr", async () => {
    const key = ['--key', fixture.verifierKey];
    const cases: [string[], number][] = [
      [['verify', fixture.logDir, ...key, '--checkpoint', anchor], 0],
      [['verify', fixture.logDir, ...key, '--json'], 4],
      [['verify', fixture.logDir], 5],
      [['calls', fixture.logDir, ...key, '--checkpoint', anchor], 0],
    ];
    for (const [args, code] of cases)
      expect(await runToClosedPipe(args), args.join(' ')).toEqual({ code, stderr: '' });
  });

  it('`writ verify … | head -n 1` prints the headline and exits with the verdict', () => {
    const script = `'${process.execPath}' '${BIN}' verify '${fixture.logDir}' --key '${fixture.verifierKey}' --checkpoint '${anchor}' | head -n 1; exit \${PIPESTATUS[0]}`;
    const result = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^✔ verified and anchored \S+: \d+ records, .*\n$/);
    expect(result.status).toBe(0);
  });
});

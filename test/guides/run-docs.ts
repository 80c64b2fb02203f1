// Runs a docs page's code the way a reader would: its ```ts blocks, in order, as one module in a fresh
// directory of this repository (so `writ`, `zod`, `ai`… resolve to the built workspace packages, as
// they would from npm), then its ```sh blocks, line by line, with `npx` finding the built `writ` CLI.
// What the page leaves to the reader (a database, a model, the user's token) comes from `runtime`, code
// placed before the page's own.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface PageBlocks {
  readonly ts: string[];
  readonly sh: string[];
}

/** The ts and sh blocks of a page (directive comments are for the type checker, not for running). */
export function pageBlocks(page: string): PageBlocks {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const out: PageBlocks = { ts: [], sh: [] };
  for (const m of text.matchAll(/^```(ts|sh)\n([\s\S]*?)^```$/gm)) {
    (m[1] === 'ts' ? out.ts : out.sh).push(m[2] as string);
  }
  return out;
}

export interface Run {
  readonly dir: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A reader's project: a scratch directory inside the repository (imports resolve up to its node_modules,
 * as from an install), with a package.json and the `writ` command linked as npm links the installed
 * package's bin (the committed `bin/writ.js`, which runs the built program). test/consumers/ installs
 * the packed packages outside the repository instead.
 */
export function scratchDir(name: string): string {
  const dir = join(ROOT, '.docs-run', `${name}-${process.pid}-${Date.now()}`);
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module' })}\n`);
  symlinkSync(join(ROOT, 'packages', 'writ', 'bin', 'writ.js'), join(dir, 'node_modules', '.bin', 'writ'));
  return dir;
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `code` as `<dir>/<file>` with this Node (type stripping runs the TypeScript as written). */
export function runModule(dir: string, file: string, code: string, env: NodeJS.ProcessEnv = {}): Run {
  writeFileSync(join(dir, file), code);
  const r = spawnSync(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    timeout: 120_000,
  });
  return { dir, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs each command line of the sh blocks (comments dropped) in `dir` with bash. */
export function runShell(dir: string, blocks: readonly string[], env: NodeJS.ProcessEnv): Run[] {
  const runs: Run[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command === '' || command.startsWith('#') || command.startsWith('npm install')) continue;
      const r = spawnSync('bash', ['-c', command], {
        cwd: dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          ...env,
          npm_config_offline: 'true',
        },
        timeout: 120_000,
      });
      runs.push({ dir: command, status: r.status, stdout: r.stdout, stderr: r.stderr });
    }
  }
  return runs;
}

/**
 * The checkpoint verifier key a reader copies from `writ keys show` (the key directory, not the log):
 * what the pages' `WRIT_VERIFIER_KEY` stands for.
 */
export function verifierKeyShown(dir: string): string {
  const bin = join(ROOT, 'packages', 'writ', 'bin', 'writ.js');
  const r = spawnSync(process.execPath, [bin, 'keys', 'show', '--json'], { cwd: dir, encoding: 'utf8' });
  const shown = JSON.parse(r.stdout) as { verifierKeys: { verifierKey: string }[] };
  if (shown.verifierKeys.length !== 1) throw new Error(`expected one verifier key in ${dir}: ${r.stdout}`);
  return (shown.verifierKeys[0] as { verifierKey: string }).verifierKey;
}

/** The records of a file log, in order (envelope `r`). */
export function logRecords(auditDir: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const name of readdirSync(auditDir)
    .filter((n) => n.endsWith('.jsonl'))
    .sort()) {
    for (const line of readFileSync(join(auditDir, name), 'utf8').split('\n')) {
      if (line !== '') records.push((JSON.parse(line) as { r: Record<string, unknown> }).r);
    }
  }
  return records;
}

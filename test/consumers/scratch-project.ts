// The machinery of the consumer checks: pack the workspace's packages with `npm pack`, install the tarballs
// into scratch projects OUTSIDE the workspace (no workspace links, nothing resolved from this repository),
// run things there, and measure what a user gets (packages, bytes on disk, npm's warnings).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** One finished child process. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a scratch project: no npm_* settings of an enclosing `npm test`, no OTEL_* of ours. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|OTEL_)/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', ...extra };
}

export function run(file: string, args: string[], cwd: string, env = cleanEnv()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The workspace packages that are published (not private), by name. */
export function publishablePackages(): string[] {
  const names: string[] = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const file = join(ROOT, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name: string; private?: boolean };
    if (manifest.private !== true) names.push(manifest.name);
  }
  return names;
}

/**
 * `npm pack` of the named workspace packages into `dest` (their built `dist/` must exist: `npm test`
 * builds first); the tarball of each, by package name.
 */
export async function packPackages(names: readonly string[], dest: string): Promise<Map<string, string>> {
  const packed = await run(
    'npm',
    ['pack', ...names.flatMap((name) => ['--workspace', name]), '--pack-destination', dest, '--json'],
    ROOT,
  );
  expect(packed.code, packed.stderr).toBe(0);
  const tarballs = new Map<string, string>();
  for (const p of JSON.parse(packed.stdout) as { name: string; filename: string }[]) {
    tarballs.set(p.name, join(dest, p.filename));
  }
  return tarballs;
}

/** Every installed package directory (node_modules/<name> or node_modules/@scope/<name>), at any depth. */
export async function installedPackages(dir: string): Promise<{ name: string; path: string }[]> {
  const found: { name: string; path: string }[] = [];
  const walk = async (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of await readdir(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const names = entry.name.startsWith('@')
        ? (await readdir(join(modules, entry.name))).map((n) => `${entry.name}/${n}`)
        : [entry.name];
      for (const name of names) {
        const path = join(modules, name);
        if (!existsSync(join(path, 'package.json'))) continue;
        found.push({ name, path });
        await walk(join(path, 'node_modules'));
      }
    }
  };
  await walk(join(dir, 'node_modules'));
  return found;
}

/** Bytes under `path` (files and symlinks as stored, directories walked). */
export async function sizeOf(path: string): Promise<number> {
  const stat = await lstat(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

/** npm's warning lines in an install's output. */
export function npmWarnings(run: Run): string[] {
  return `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => /^npm warn/i.test(line));
}

export const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

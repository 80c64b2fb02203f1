#!/usr/bin/env node
// Runs a command under Node >= 22.18 (the toolchain's floor: tsup 9, vitest 5, type stripping).
// On an older Node (fresh machines here ship Node 20), it installs Node 24 LTS from the npm registry
// (package node-<platform>-<arch>@24) into .tools/ once, and runs the command with it first on PATH.
// Usage: node .ci/with-node.mjs <command> [args...]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

if (major < 22 || (major === 22 && minor < 18)) {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const pkg = `node-${platform}-${process.arch}`;
  const dir = join(root, '.tools', 'node24');
  const bin =
    process.platform === 'win32' ? join(dir, 'node_modules', pkg) : join(dir, 'node_modules', pkg, 'bin');
  if (!existsSync(join(bin, process.platform === 'win32' ? 'node.exe' : 'node'))) {
    console.error(
      `writ: Node ${process.version} is older than 22.18; installing Node 24 LTS (${pkg}) into .tools/ …`,
    );
    execFileSync(
      'npm',
      ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--loglevel=error', `${pkg}@24`],
      {
        stdio: 'inherit',
      },
    );
  }
  env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error('usage: node .ci/with-node.mjs <command> [args...]');
  process.exit(2);
}
const result = spawnSync(command, args, { stdio: 'inherit', env, cwd: process.cwd() });
if (result.error) {
  console.error(`writ: could not run ${command}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);

// The Node.js lines the consumer checks run on (docs/contributing.md, "Node.js versions"): the Node
// running the tests (24 in CI), and Node 20, the oldest line the engines policy accepts: WRIT_NODE20 if
// set, else the first `node` on PATH that is 20.x (CI machines have one in /usr/bin; .ci/run adds .tools/
// node24 before it). Each runs with the same npm CLI, through a directory of shims put first on PATH, so
// that `npm`, `npx` and the `#!/usr/bin/env node` of installed bins all use that Node.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export interface NodeLine {
  /** `20`, `24`… */
  readonly major: number;
  readonly version: string;
  readonly node: string;
}

function versionOf(node: string): string | undefined {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every `name` executable on PATH, in PATH order. */
function onPath(name: string): string[] {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, name))
    .filter(executable);
}

/** Node 20 for the checks, or a message saying how to provide one. */
export function findNode20(): NodeLine | string {
  const candidates = [process.env.WRIT_NODE20, ...onPath('node')].filter(
    (c): c is string => c !== undefined && c !== '',
  );
  for (const node of candidates) {
    const version = versionOf(node);
    if (version?.startsWith('v20.')) return { major: 20, version, node };
  }
  return `no Node 20 found (looked at ${candidates.join(', ') || 'nothing'}): set WRIT_NODE20 to a Node 20.19+ binary`;
}

export function currentNode(): NodeLine {
  return {
    major: Number(process.versions.node.split('.')[0]),
    version: process.version,
    node: process.execPath,
  };
}

/** The npm CLI scripts (npm-cli.js, npx-cli.js) of the `npm` on PATH. */
export function npmCli(): { npm: string; npx: string } {
  const npm = onPath('npm')[0];
  if (npm === undefined) throw new Error('no npm on PATH');
  const cli = realpathSync(npm);
  return { npm: cli, npx: join(dirname(cli), 'npx-cli.js') };
}

/**
 * A directory holding `node`, `npm` and `npx` for `line`; put first on PATH, it makes every Node started
 * by name (npm, npx, bins' shebangs) that Node.
 */
export function shimDirectory(line: NodeLine, parent: string): string {
  const dir = join(parent, `node${line.major}-bin`);
  mkdirSync(dir, { recursive: true });
  const { npm, npx } = npmCli();
  symlinkSync(line.node, join(dir, 'node'));
  symlinkSync(npm, join(dir, 'npm'));
  symlinkSync(npx, join(dir, 'npx'));
  return dir;
}

// Issue 23 item 6 (cold start): what `import 'writ'` loads and does, checked on the built packages in a
// fresh process (no timing: a regression that re-adds an eager import or a schema built at import
// fails here whatever the machine's speed). The figures themselves are in `npm run bench` (coldstart).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./__support__/cold-import-child.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'writ-cold-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Loaded {
  readonly modules: string[];
  readonly zodReadsAtImport: string[];
  readonly zodReadsAtCreate: string[];
}

function load(format: 'esm' | 'cjs'): Loaded {
  const run = spawnSync(process.execPath, [child, format, dir], { encoding: 'utf8', cwd: dir });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Loaded;
}

/** Where a loaded file comes from: a workspace package (`packages/core`) or an npm package (`zod`). */
function origin(file: string): string {
  const path = relative(root, file).split('\\').join('/');
  const npm = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (npm?.[1] !== undefined) return npm[1];
  const workspace = /^packages\/([^/]+)\//.exec(path);
  return workspace?.[1] === undefined ? path : `packages/${workspace[1]}`;
}

describe.each(['esm', 'cjs'] as const)("import 'writ' (%s build)", (format) => {
  const loaded = load(format);

  it('loads writ, @writ/core, zod and the OpenTelemetry API only: identity, policy, audit (jose, Cedar) wait for the runtime to start', () => {
    const origins = new Set(loaded.modules.map(origin));
    expect([...origins].sort()).toEqual(['@opentelemetry/api', 'packages/core', 'packages/writ', 'zod']);
  });

  it('builds no zod schema while loading: every options schema is built on first use', () => {
    expect(loaded.zodReadsAtImport).toEqual([]);
    // the recorder sees the schemas being built once createWrit validates its options
    expect(loaded.zodReadsAtCreate).toContain('strictObject');
  });
});

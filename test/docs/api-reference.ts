// The API reference (docs/api) is generated from the sources' TSDoc by TypeDoc with typedoc-plugin-markdown.
//
//   node test/docs/api-reference.ts           # regenerate docs/api
//   (test/docs/check.ts compares a fresh generation with docs/api)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { entryPoints, ROOT } from './entry-points.ts';

export const API_DIR = join(ROOT, 'docs', 'api');

/** Generates the reference into `out`. */
export function generateApiReference(out: string): void {
  const args = [
    join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'),
    '--options',
    join(ROOT, 'test', 'docs', 'typedoc.json'),
    '--out',
    out,
    ...entryPoints().flatMap((e) => ['--entryPoints', join(ROOT, e.source)]),
  ];
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  try {
    walk(dir);
  } catch {}
  return out;
}

/** Files of docs/api that differ from a fresh generation (added, removed or changed). */
export function apiReferenceDiff(): string[] {
  const fresh = mkdtempSync(join(tmpdir(), 'writ-api-'));
  try {
    generateApiReference(fresh);
    const want = files(fresh);
    const have = files(API_DIR);
    const differ = [...want].filter(([name, text]) => have.get(name) !== text).map(([name]) => name);
    const extra = [...have.keys()].filter((name) => !want.has(name));
    return [...differ, ...extra];
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  rmSync(API_DIR, { recursive: true, force: true });
  generateApiReference(API_DIR);
  console.log(`API reference written to ${relative(ROOT, API_DIR)} (${files(API_DIR).size} files)`);
}

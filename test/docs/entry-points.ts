// The public entry points of every published package, read from each package's tsup config (the same
// `libraryBuild({ name: 'src/…' })` map the build uses), so the API reference and the TSDoc check cover
// exactly what ships.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EntryPoint {
  /** The package name, e.g. `@writ/core`. */
  readonly pkg: string;
  /** The import specifier users write, e.g. `@writ/core/testing`. */
  readonly specifier: string;
  /** Repository-relative source file. */
  readonly source: string;
}

export const ROOT = new URL('../../', import.meta.url).pathname;

export function entryPoints(): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const base = join(ROOT, 'packages', dir);
    const manifest = JSON.parse(readFileSync(join(base, 'package.json'), 'utf8')) as {
      name: string;
      private?: boolean;
    };
    let config: string;
    try {
      config = readFileSync(join(base, 'tsup.config.ts'), 'utf8');
    } catch {
      continue;
    }
    const map = /libraryBuild\(\s*\{([^}]*)\}/.exec(config)?.[1];
    if (map === undefined || manifest.private === true) continue;
    for (const [, name, file] of map.matchAll(/(\w+):\s*'([^']+)'/g)) {
      out.push({
        pkg: manifest.name,
        specifier: name === 'index' ? manifest.name : `${manifest.name}/${name}`,
        source: `packages/${dir}/${file}`,
      });
    }
  }
  return out;
}

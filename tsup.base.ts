import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM + CJS + declarations, source maps, tree-shaken,
 * `import.meta.url` shimmed in CJS. Each package's tsup.config.ts names its entries (and extras).
 */
export function libraryBuild(entry: Record<string, string>, extra: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
    shims: true,
    ...extra,
  };
}

import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // the CJS build finds workload.proto through __dirname; shims keep import.meta.url usable there too
  shims: true,
  // the Workload API proto ships as a file next to the bundle
  onSuccess: "node -e \"require('node:fs').cpSync('src/spiffe/workload.proto', 'dist/workload.proto')\"",
});

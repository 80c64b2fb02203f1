import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.ts';

export default defineConfig(
  libraryBuild(
    { index: 'src/index.ts' },
    // the Workload API proto ships as a file next to the bundle
    {
      onSuccess: "node -e \"require('node:fs').cpSync('src/spiffe/workload.proto', 'dist/workload.proto')\"",
    },
  ),
);

import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.ts';

export default defineConfig(
  libraryBuild(
    {
      index: 'src/index.ts',
      adapter: 'src/adapter-kit.ts',
      plugin: 'src/plugin.ts',
      internal: 'src/internal.ts',
      testing: 'src/testing/index.ts',
    },
    { shims: false },
  ),
);

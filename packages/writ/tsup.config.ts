import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.ts';

export default defineConfig(
  libraryBuild(
    { index: 'src/index.ts' },
    {
      // src/embedded-packages.ts: the CommonJS build requires the embedded packages, the ESM build imports them
      esbuildOptions(options, { format }) {
        options.define = { ...options.define, WRIT_BUILD_FORMAT: JSON.stringify(format) };
      },
    },
  ),
);

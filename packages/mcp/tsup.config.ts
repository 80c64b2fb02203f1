import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.ts';

export default defineConfig(libraryBuild({ index: 'src/index.ts', v2: 'src/v2/index.ts' }));

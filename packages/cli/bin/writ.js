#!/usr/bin/env node
// The `writ` command. This file is committed rather than built: npm links a package's bins when it is
// installed, which in a fresh clone of the Writ repository is before anything is built. It loads the built
// program, or says what to do when there is none yet.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'writ: @writ/cli is not built yet (no dist/bin.js): run `npm run build` at the root of the Writ repository, then run writ again\n',
  );
  process.exitCode = 3; // EXIT_CODES.error: the command could not do its work
}

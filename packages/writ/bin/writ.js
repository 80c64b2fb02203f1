#!/usr/bin/env node
// The `writ` command that comes with the `writ` package: @writ/cli's (a dependency of this package), run
// through the bin its package.json declares. Committed, like that one: npm links bins at install time.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const manifest = require.resolve('@writ/cli/package.json');
const { bin } = require(manifest);
await import(pathToFileURL(join(dirname(manifest), bin.writ)).href);

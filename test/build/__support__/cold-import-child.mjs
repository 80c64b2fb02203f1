// Loads the built `writ` package the way an application does (`import 'writ'` or `require('writ')`) in
// a fresh process and prints one JSON line: every module file loaded, and every zod API read during
// the load (the `z` namespace is wrapped to record property reads). Used by cold-import.test.ts.
//
//   node cold-import-child.mjs esm|cjs <dir>
import { createRequire, registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const format = process.argv[2];
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fromCore = createRequire(`${root}packages/core/package.json`);
const touched = [];
const record = (real) =>
  new Proxy(real, {
    get(target, key) {
      touched.push(String(key));
      return Reflect.get(target, key);
    },
  });
globalThis.__writColdImportZod = record;
const loaded = new Set();
const WRAPPER = 'writ-cold-import:zod';
const realZod = pathToFileURL(fromCore.resolve('zod').replace(/index\.cjs$/, 'index.js')).href;
registerHooks({
  resolve(specifier, context, next) {
    // Writ's ES module builds get a zod whose `z` records what is read from it
    if (format === 'esm' && specifier === 'zod' && context.parentURL?.includes('/packages/'))
      return { url: WRAPPER, shortCircuit: true };
    return next(specifier, context);
  },
  load(url, context, next) {
    if (url === WRAPPER) {
      const source = [
        `import * as real from ${JSON.stringify(realZod)};`,
        `export * from ${JSON.stringify(realZod)};`,
        'export const z = globalThis.__writColdImportZod(real.z);',
        'export default z;',
      ].join('\n');
      return { format: 'module', source, shortCircuit: true };
    }
    const result = next(url, context);
    loaded.add(url);
    return result;
  },
});
let writ;
if (format === 'cjs') {
  const require = createRequire(`${root}packages/writ/package.json`);
  // the CommonJS builds read `require('zod').z`: hand them the recording one
  const zodPath = fromCore.resolve('zod');
  const real = require(zodPath);
  require.cache[zodPath].exports = { ...real, z: record(real.z) };
  writ = require('writ');
} else {
  const entry = createRequire(`${root}packages/writ/package.json`).resolve('writ');
  writ = await import(pathToFileURL(entry.replace(/index\.cjs$/, 'index.js')).href);
}
const modules = [...loaded].filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
const zodReadsAtImport = touched.splice(0);
// then what the recorder sees once the options are validated (createWrit starts nothing before first use)
writ.createWrit({ service: 'cold-import', dir: process.argv[3] });
console.log(JSON.stringify({ modules, zodReadsAtImport, zodReadsAtCreate: touched }));

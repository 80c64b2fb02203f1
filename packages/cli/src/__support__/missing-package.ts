// Node's own "not found" errors for packages that are not installed: imported from a directory outside the
// workspace, in a plain Node process (vitest's runner resolves imports itself).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';

/** A directory outside the workspace, removed after the file's tests. */
export function outsideWorkspace(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The error Node's ESM loader gives for `import '<specifier>'` from `dir`. */
export function importError(dir: string, specifier: string): Error {
  const file = join(dir, `imports-${specifier.replace(/\W/g, '_')}.mjs`);
  writeFileSync(file, `import '${specifier}';\n`);
  const report = `import(${JSON.stringify(pathToFileURL(file).href)}).then(
    () => console.log('null'),
    (e) => console.log(JSON.stringify({ code: e.code, message: e.message })),
  );`;
  const seen = JSON.parse(execFileSync(process.execPath, ['-e', report], { encoding: 'utf8' })) as {
    code: string;
    message: string;
  } | null;
  if (seen === null) throw new Error(`${specifier} is installed`);
  return Object.assign(new Error(seen.message), { code: seen.code });
}

// A reader's TypeScript, the way a reader outside this repository runs it: written to a file in their
// project, compiled with `tsc` against the types of the installed packages (NodeNext: the project's
// package.json type decides ESM or CommonJS), then run with `node`. In a CommonJS project the page's code
// is what a CommonJS reader writes: the same imports (compiled to require calls) and the rest inside an
// async function, since CommonJS has no top-level await.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT, type Run, run } from './scratch-project.js';

export type ModuleKind = 'esm' | 'cjs';

/** `code` (one ES module) as a CommonJS reader writes it: imports first, the rest in `async main()`. */
export function asCommonJsProgram(code: string): string {
  const file = ts.createSourceFile('program.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const body: string[] = [];
  for (const statement of file.statements) {
    (ts.isImportDeclaration(statement) ? imports : body).push(statement.getFullText(file));
  }
  return [
    imports.join('').trim(),
    '',
    'async function main(): Promise<void> {',
    body.join('').replace(/^\n+/, ''),
    '}',
    '',
    'main().catch((error: unknown) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
    '',
  ].join('\n');
}

export interface CompiledProgram {
  /** The compiled file to run with node (relative to the program's directory). */
  readonly file: string;
  /** tsc's output: empty when the program type-checks against the installed packages. */
  readonly diagnostics: string;
}

/**
 * Writes `code` as `<dir>/<name>.ts` (CommonJS-shaped in a CommonJS project) and compiles it in place
 * with this repository's TypeScript; types resolve from the project's node_modules (the installed
 * tarballs), Node's types from this repository's @types/node.
 */
export async function compileProgram(
  dir: string,
  name: string,
  code: string,
  kind: ModuleKind,
): Promise<CompiledProgram> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.ts`), kind === 'esm' ? code : asCommonJsProgram(code));
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files: [`${name}.ts`],
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const tsc: Run = await run(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    dir,
  );
  return { file: `${name}.js`, diagnostics: `${tsc.stdout}${tsc.stderr}`.trim() };
}

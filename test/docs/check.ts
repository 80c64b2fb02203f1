// `npm run docs:check`: the docs cannot rot.
// 1. every public export has TSDoc with an @example (tsdoc-check.ts);
// 2. every code block in the docs is checked (code-blocks.ts): ts type-checked, json parsed, sh by
//    `bash -n`, cedar validated against the Writ schema, excerpts compared with their source;
// 3. every TSDoc @example is type-checked against its entry point, which it may use without importing
//    (free names are declared `any`: examples are fragments; what they call on Writ is checked);
// 4. the API reference in docs/api is what `npm run docs:api` generates from the sources now.
// 5. a page with an `npm install` line names there every package its code imports.
//
//   node test/docs/check.ts [--no-api] [--pages | --examples] [--filter <path substring>]
//   (--pages / --examples run only that part; --filter keeps blocks and examples from matching files)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createCedarEngine } from '@writ/policy';
import ts from 'typescript';
import { apiReferenceDiff } from './api-reference.ts';
import { extractBlocks, markdownFiles } from './code-blocks.ts';
import { ROOT } from './entry-points.ts';
import { checkTsdoc, exampleBlocks } from './tsdoc-check.ts';

const OUT = join(ROOT, '.docs-check');
const argv = process.argv.slice(2);
const only = argv.includes('--pages') ? 'pages' : argv.includes('--examples') ? 'examples' : undefined;
const filterAt = argv.indexOf('--filter');
const filter = filterAt === -1 ? undefined : argv[filterAt + 1];
const wanted = (file: string) => filter === undefined || file.includes(filter);
const problems: string[] = [];
const tally = {
  exports: 0,
  tsBlocks: 0,
  jsonBlocks: 0,
  shBlocks: 0,
  cedarBlocks: 0,
  skipped: 0,
  examples: 0,
};

/** One generated module: head lines (imports, declarations) then body lines mapped to their source. */
interface Module {
  readonly path: string;
  readonly specifier?: string;
  /** Names the module imports from `specifier` unless it declares or imports them itself. */
  readonly imports: string[];
  readonly declared: Set<string>;
  readonly body: { text: string; file: string; line: number }[];
  /** Declare free names as `any` (TSDoc examples) instead of reporting them (docs pages). */
  readonly lenient: boolean;
}

function head(m: Module): string[] {
  const names = m.imports.filter((n) => !m.declared.has(n.replace(/^type /, '')));
  return [
    ...(m.specifier !== undefined && names.length > 0
      ? [`import { ${names.join(', ')} } from '${m.specifier}';`]
      : []),
    ...[...m.declared].map((n) => `declare const ${n}: any; type ${n} = any;`),
  ];
}

function write(m: Module): void {
  const text = [...head(m), ...m.body.map((b) => b.text), 'export {};', ''].join('\n');
  writeFileSync(m.path, text);
}

function sourceOf(m: Module, line: number): string {
  const b = m.body[line - head(m).length];
  return b === undefined ? m.path : `${b.file}:${b.line}`;
}

function compile(modules: Module[], lenient: boolean): void {
  // fragments call into `any`-typed free names, so their callbacks' parameters cannot be inferred
  const options = { ...compilerOptions(), ...(lenient ? { noImplicitAny: false } : {}) };
  for (let round = 0; round < 4; round++) {
    for (const m of modules) write(m);
    const program = ts.createProgram(
      modules.map((m) => m.path),
      options,
    );
    const diagnostics = [...program.getSemanticDiagnostics(), ...program.getSyntacticDiagnostics()];
    let changed = false;
    const byPath = new Map(modules.map((m) => [m.path, m]));
    const reports: string[] = [];
    for (const d of diagnostics) {
      const m = d.file === undefined ? undefined : byPath.get(d.file.fileName);
      if (m === undefined || d.file === undefined || d.start === undefined) continue;
      const text = d.file.text.slice(d.start, d.start + (d.length ?? 0));
      // a free name in a fragment, or an auto-import the example shadows
      if (
        m.lenient &&
        (d.code === 2304 || d.code === 2552 || d.code === 2582 || d.code === 18004) &&
        /^[\w$]+$/.test(text)
      ) {
        m.declared.add(text);
        changed = true;
        continue;
      }
      if (m.lenient && (d.code === 2440 || d.code === 2300 || d.code === 2451)) {
        const name = /'([\w$]+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, ' '))?.[1];
        const at = m.imports.findIndex((n) => n.replace(/^type /, '') === name);
        if (name !== undefined && at !== -1) {
          m.imports.splice(at, 1);
          changed = true;
          continue;
        }
      }
      // an optional package the example names but this repository does not install
      if (m.lenient && d.code === 2307 && !/^'(@writ\/|writ)/.test(text)) continue;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      reports.push(
        `${sourceOf(m, line)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    }
    if (!changed || round === 3) {
      problems.push(...reports);
      return;
    }
  }
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.test.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}

/** The package a bare import specifier belongs to (`@writ/core/adapter` → `@writ/core`, `ai/test` → `ai`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/**
 * A page that says what to install names every package its code imports (a reader copies the install line,
 * then the code): the packages of `npm install …` lines in its sh blocks must cover the bare imports of its
 * ts blocks (Node built-ins aside).
 */
function checkInstallLines(path: string): void {
  const blocks = extractBlocks(path).filter((b) => wanted(b.file) && b.skip === undefined);
  const installed = new Set<string>();
  for (const b of blocks.filter((b) => b.lang === 'sh' || b.lang === 'bash')) {
    for (const m of b.code.matchAll(/^\s*npm (?:install|i|add)\b([^\n#]*)/gm)) {
      for (const token of (m[1] as string).trim().split(/\s+/)) {
        if (token === '' || token.startsWith('-')) continue;
        installed.add(packageOf(token.replace(/(?<=.)@[^/]*$/, '')));
      }
    }
  }
  if (installed.size === 0) return;
  const missing = new Map<string, number>();
  for (const b of blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript')) {
    for (const m of b.code.matchAll(
      /(?:^|\s)(?:import|export)\b[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    )) {
      const specifier = (m[1] ?? m[2]) as string;
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = packageOf(specifier);
      if (!installed.has(name) && !missing.has(name)) missing.set(name, b.line);
    }
  }
  for (const [name, line] of missing) {
    problems.push(
      `${relative(ROOT, path)}:${line}: imports ${name}, which no install line on the page names`,
    );
  }
}

async function checkPages(): Promise<void> {
  const modules: Module[] = [];
  for (const path of markdownFiles()) {
    checkInstallLines(path);
    let last: Module | undefined;
    for (const block of extractBlocks(path)) {
      if (!wanted(block.file)) continue;
      const at = `${block.file}:${block.line}`;
      if (block.skip !== undefined) {
        tally.skipped++;
        console.log(`skipped ${at}: ${block.skip}`);
        continue;
      }
      if (block.excerptOf !== undefined) {
        const source = readFileSync(join(ROOT, block.excerptOf), 'utf8');
        if (!source.includes(block.code.trim())) problems.push(`${at}: not an excerpt of ${block.excerptOf}`);
      }
      switch (block.lang) {
        case 'ts':
        case 'typescript': {
          tally.tsBlocks++;
          const lines = block.code
            .split('\n')
            .map((text, k) => ({ text, file: block.file, line: block.line + 1 + k }));
          if (block.continues && last !== undefined) {
            last.body.push(...lines);
            break;
          }
          const prelude = block.prelude
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((text) => ({ text, file: block.file, line: block.line }));
          last = {
            path: join(OUT, 'pages', `${block.file.replace(/[/.]/g, '_')}_${block.line}.ts`),
            imports: [],
            declared: new Set(),
            body: [...prelude, ...lines],
            lenient: false,
          };
          modules.push(last);
          break;
        }
        case 'json':
          tally.jsonBlocks++;
          try {
            JSON.parse(block.code);
          } catch (error) {
            problems.push(`${at}: invalid JSON (${(error as Error).message})`);
          }
          break;
        case 'sh':
        case 'bash':
          tally.shBlocks++;
          try {
            execFileSync('bash', ['-n'], { input: block.code, stdio: ['pipe', 'ignore', 'pipe'] });
          } catch (error) {
            problems.push(`${at}: bash -n: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
          }
          break;
        case 'cedar':
          tally.cedarBlocks++;
          try {
            await createCedarEngine({ sources: { [`${block.file}:${block.line}`]: block.code } });
          } catch (error) {
            problems.push(`${at}: ${(error as Error).message}`);
          }
          break;
        case 'text':
        case '':
          break;
        default:
          problems.push(`${at}: no check for \`\`\`${block.lang} blocks (use ts, json, sh, cedar or text)`);
      }
    }
  }
  compile(modules, false);
}

function checkExamples(): void {
  const modules: Module[] = [];
  const exportsOf = new Map<string, string[]>();
  const reports = checkTsdoc();
  tally.exports = reports.length;
  for (const r of reports) {
    const names = exportsOf.get(r.specifier) ?? [];
    names.push(r.value ? r.name : `type ${r.name}`);
    exportsOf.set(r.specifier, names);
    perEntryPoint.set(r.specifier, (perEntryPoint.get(r.specifier) ?? 0) + 1);
    if ((!r.summary || !r.example) && wanted(r.file))
      problems.push(`${r.file}:${r.line}: ${r.specifier} ${r.name} needs TSDoc with an @example`);
  }
  for (const example of exampleBlocks()) {
    if (!wanted(example.file)) continue;
    tally.examples++;
    const own = new Set(
      [...example.code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
        (m[1] as string).split(',').map(
          (n) =>
            n
              .replace(/^\s*type\s+/, '')
              .split(/\s+as\s+/)
              .pop()
              ?.trim() ?? '',
        ),
      ),
    );
    modules.push({
      path: join(
        OUT,
        'examples',
        `${example.specifier.replace(/[@/]/g, '_')}_${example.name}_${example.index}.ts`,
      ),
      specifier: example.specifier,
      imports: (exportsOf.get(example.specifier) ?? []).filter((n) => !own.has(n.replace(/^type /, ''))),
      declared: new Set(),
      // `...` / `…` as a placeholder (`{ a, ... }`, `f(...)`) is left out; spreads stay
      body: example.code
        .replace(/(\.\.\.|…)(?=\s*[,)}\]]|\s*$)/gm, '')
        .split('\n')
        .map((text, k) => ({ text, file: example.file, line: example.line + 1 + k })),
      lenient: true,
    });
  }
  compile(modules, true);
}

/** Exports per entry point (the public surface each import specifier offers). */
const perEntryPoint = new Map<string, number>();
/** What an application author imports stays small: the adapter kit, plugin contracts and internals live on subpaths. */
const ENTRY_POINT_LIMITS: Readonly<Record<string, number>> = { '@writ/core': 40 };

rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'pages'), { recursive: true });
mkdirSync(join(OUT, 'examples'), { recursive: true });
if (only !== 'examples') await checkPages();
if (only !== 'pages') checkExamples();
if (only === undefined && filter === undefined && !argv.includes('--no-api')) {
  const stale = apiReferenceDiff();
  if (stale.length > 0)
    problems.push(
      `docs/api is out of date (run npm run docs:api): ${stale.slice(0, 10).join(', ')}${stale.length > 10 ? ', …' : ''}`,
    );
}
// the CLI reference ships with the package too
if (only !== 'examples') {
  const page = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8')
    .split('\n')
    .slice(1)
    .join('\n');
  if (readFileSync(join(ROOT, 'packages', 'cli', 'README.md'), 'utf8') !== page)
    problems.push(
      'packages/cli/README.md differs from docs/cli.md (copy docs/cli.md without its first line)',
    );
}
for (const [specifier, limit] of Object.entries(ENTRY_POINT_LIMITS)) {
  const count = perEntryPoint.get(specifier);
  if (count !== undefined && count > limit)
    problems.push(
      `${specifier} exports ${count} names; keep it at ${limit} or fewer (move the rest to a subpath)`,
    );
}
for (const p of problems) console.error(p);
if (perEntryPoint.size > 0)
  console.log(
    `exports per entry point: ${[...perEntryPoint].map(([specifier, count]) => `${specifier} ${count}`).join(', ')}`,
  );
console.log(
  `docs check: ${tally.exports} public exports, ${tally.examples} TSDoc examples, ${tally.tsBlocks} ts / ${tally.jsonBlocks} json / ${tally.shBlocks} sh / ${tally.cedarBlocks} cedar blocks, ${tally.skipped} skipped: ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}`,
);
process.exitCode = problems.length === 0 ? 0 : 1;

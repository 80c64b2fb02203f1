// Every public export of every published entry point has a TSDoc comment with an `@example`.
//
//   node test/docs/tsdoc-check.ts            # exits 1 and lists what is missing
//   node test/docs/tsdoc-check.ts --list     # every export and its state
//
// An export counts as documented when one of its declarations carries a doc comment with a summary and
// an `@example` block. Re-exports are followed to the declaration. Members of interfaces and classes are
// covered by their owner's comment and the generated reference; they are not required to carry examples.
import { join } from 'node:path';
import ts from 'typescript';
import { entryPoints, ROOT } from './entry-points.ts';

export interface ExportReport {
  readonly specifier: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly summary: boolean;
  readonly example: boolean;
  /** Whether the export is a value (imported without `type`). */
  readonly value: boolean;
}

/** A fenced code block of an `@example` tag. */
export interface ExampleBlock {
  readonly specifier: string;
  readonly name: string;
  /** Which example of that export (0-based). */
  readonly index: number;
  readonly file: string;
  /** 1-based line of the block's first code line in `file`. */
  readonly line: number;
  readonly code: string;
}

let cache: { reports: ExportReport[]; examples: ExampleBlock[] } | undefined;

/** Every export with its TSDoc state. */
export function checkTsdoc(): ExportReport[] {
  return scan().reports;
}

/** The code of every `@example` of every public export, once per declaration. */
export function exampleBlocks(): ExampleBlock[] {
  return scan().examples;
}

function scan(): { reports: ExportReport[]; examples: ExampleBlock[] } {
  cache ??= scanProgram();
  return cache;
}

function scanProgram(): { reports: ExportReport[]; examples: ExampleBlock[] } {
  const entries = entryPoints();
  const configPath = join(ROOT, 'tsconfig.test.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram(
    entries.map((e) => join(ROOT, e.source)),
    { ...parsed.options, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const reports: ExportReport[] = [];
  const examples: ExampleBlock[] = [];
  const seen = new Set<ts.Node>();
  for (const entry of entries) {
    const file = program.getSourceFile(join(ROOT, entry.source));
    const moduleSymbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
    if (moduleSymbol === undefined) throw new Error(`cannot read ${entry.source}`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.declarations ?? [];
      let summary = false;
      let example = false;
      for (const d of declarations) {
        const firstSight = !seen.has(d);
        seen.add(d);
        let index = 0;
        for (const doc of ts.getJSDocCommentsAndTags(d)) {
          if (!ts.isJSDoc(doc)) continue;
          if (ts.getTextOfJSDocComment(doc.comment)?.trim()) summary = true;
          if (doc.tags?.some((t) => t.tagName.text === 'example')) example = true;
          if (!firstSight) continue;
          // read the raw comment: a decorator line inside a fence would end the tag for the JSDoc parser
          const sf = d.getSourceFile();
          const start = sf.getLineAndCharacterOfPosition(doc.getStart(sf)).line + 1;
          for (const block of exampleFences(sf.text.slice(doc.getStart(sf), doc.getEnd()))) {
            examples.push({
              specifier: entry.specifier,
              name: exported.name,
              index: index++,
              file: sf.fileName.replace(ROOT, ''),
              line: start + block.lineOffset,
              code: block.code,
            });
          }
        }
      }
      const first = declarations[0];
      const at = first?.getSourceFile();
      reports.push({
        specifier: entry.specifier,
        name: exported.name,
        file: at === undefined ? '?' : at.fileName.replace(ROOT, ''),
        line:
          at === undefined || first === undefined
            ? 0
            : at.getLineAndCharacterOfPosition(first.getStart()).line + 1,
        summary,
        example,
        value: (symbol.flags & ts.SymbolFlags.Value) !== 0,
      });
    }
  }
  return { reports, examples };
}

/** Fenced blocks under `@example` tags in a raw doc comment (`*` prefixes removed). */
function exampleFences(raw: string): { code: string; lineOffset: number }[] {
  const lines = raw.split('\n').map((l) => l.replace(/^\s*(\/\*\*|\*\/|\*)( ?)/, ''));
  const out: { code: string; lineOffset: number }[] = [];
  let tag = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const named = /^@(\w+)/.exec(line);
    if (named !== null) tag = named[1] as string;
    if (tag !== 'example' || !/^\s*```(ts|typescript)?\s*$/.test(line)) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] as string)) end++;
    out.push({ code: lines.slice(i + 1, end).join('\n'), lineOffset: i });
    i = end;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reports = checkTsdoc();
  const missing = reports.filter((r) => !r.summary || !r.example);
  for (const r of process.argv.includes('--list') ? reports : missing) {
    const state = r.summary && r.example ? 'ok' : `needs ${r.summary ? '' : 'a summary and '}an @example`;
    console.log(`${r.specifier} ${r.name}: ${state} (${r.file}:${r.line})`);
  }
  console.log(
    `${reports.length - missing.length} of ${reports.length} public exports have TSDoc with an @example`,
  );
  process.exitCode = missing.length === 0 ? 0 : 1;
}

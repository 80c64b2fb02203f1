// Extracts every code block of the docs (README.md, docs/**, examples/*/README.md) and checks it:
// - ts: type-checked as its own module against the packages' sources (the repository's strict tsconfig);
// - json: parsed; sh: `bash -n`; cedar: loaded by the Cedar engine and validated against the Writ schema;
// - text: not checked.
// Directives, in an HTML comment on the line(s) right before a fence:
//   <!-- check: prelude declare const db: Db; -->   code placed before the block (not shown to readers)
//   <!-- check: continue -->                        the block continues the previous ts block of the file
//   <!-- check: excerpt packages/policy/policies/default.cedar -->   the block appears verbatim in that file
//   <!-- check: skip <reason> -->                   not checked (the reason is required and reported)
// A file-level prelude (`<!-- check-file: prelude … -->`, anywhere in the file) applies to every ts block.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './entry-points.ts';

export interface CodeBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly prelude: string;
  readonly continues: boolean;
  readonly excerptOf?: string | undefined;
  readonly skip?: string | undefined;
}

/** Markdown files whose code blocks are checked (the generated API reference is checked at its source). */
export function markdownFiles(): string[] {
  const files = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (relative(ROOT, path) !== join('docs', 'api')) walk(path);
      } else if (name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(ROOT, 'docs'));
  // each published package's README (what npm shows), then each example's
  for (const pkg of readdirSync(join(ROOT, 'packages')).sort()) {
    const readme = join(ROOT, 'packages', pkg, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  for (const example of readdirSync(join(ROOT, 'examples')).sort()) {
    const readme = join(ROOT, 'examples', example, 'README.md');
    try {
      statSync(readme);
      files.push(readme);
    } catch {}
  }
  return files;
}

const FENCE = /^(\s*)```([\w-]*)\s*$/;
const DIRECTIVE = /<!--\s*check:\s*(prelude|continue|excerpt|skip)\b([\s\S]*?)-->/g;
const FILE_PRELUDE = /<!--\s*check-file:\s*prelude\b([\s\S]*?)-->/g;

export function extractBlocks(path: string): CodeBlock[] {
  const text = readFileSync(path, 'utf8');
  const file = relative(ROOT, path);
  const filePrelude = [...text.matchAll(FILE_PRELUDE)].map((m) => (m[1] as string).trim()).join('\n');
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (open === null) continue;
    const indent = (open[1] as string).length;
    const lang = open[2] as string;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] as string)) end++;
    const code = lines
      .slice(i + 1, end)
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join('\n');
    // directives: an HTML comment ending on the line right above the fence
    let above = i;
    if (/-->\s*$/.test(lines[i - 1] ?? '')) {
      above = i - 1;
      while (above > 0 && !(lines[above] as string).includes('<!--')) above--;
    }
    const comment = lines.slice(above, i).join('\n');
    let prelude = lang === 'ts' ? filePrelude : '';
    let continues = false;
    let excerptOf: string | undefined;
    let skip: string | undefined;
    for (const [, kind, rest] of comment.matchAll(DIRECTIVE)) {
      const arg = (rest as string).trim();
      if (kind === 'prelude') prelude = `${prelude}\n${arg}`;
      else if (kind === 'continue') continues = true;
      else if (kind === 'excerpt') excerptOf = arg;
      else if (kind === 'skip') {
        if (arg === '') throw new Error(`${file}:${i + 1}: "check: skip" needs a reason`);
        skip = arg;
      }
    }
    blocks.push({ file, line: i + 1, lang, code, prelude, continues, excerptOf, skip });
    i = end;
  }
  return blocks;
}

import type { ShNode } from 'mvdan-sh';
import { list, nodeType, operators, walk } from './shell-syntax.js';

/**
 * One shell word after quote removal, as far as it can be known without running anything.
 * `dynamic`: part of it comes from an expansion (`$x`, `$(…)`, `$((…))`, `<(…)`, brace expansion,
 * `~user`), so `text` is not what the shell will see. `glob`: it has an unquoted `*`, `?` or `[`.
 *
 * @example
 * ```ts
 * const [program]: readonly ShellWord[] = parseShell("r''m -rf x").commands[0]?.argv ?? [];
 * program?.text; // 'rm'
 * ```
 */
export interface ShellWord {
  readonly text: string;
  readonly dynamic: boolean;
  readonly glob: boolean;
}

/** Statements nested in a word (`$(…)`, backticks, `<(…)`, `>(…)`), handed to the caller. */
export type NestedScript = (
  stmts: readonly ShNode[],
  kind: 'substitution' | 'backquote' | 'process-in' | 'process-out',
) => void;

/**
 * Inside `…` (old-style command substitution) bash removes the backslash before a backquote, `$` or
 * backslash before parsing the inner command, once per level; mvdan-sh keeps them in single-quoted text.
 */
const unbackquote = (value: string, levels: number): string => {
  let out = value;
  for (let i = 0; i < levels; i++) out = out.replace(/\\([\\`$])/g, '$1');
  return out;
};

const ANSI_C: Readonly<Record<string, string>> = {
  a: '\u0007',
  b: '\b',
  e: '\u001b',
  E: '\u001b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes bash ANSI-C quoting (`$'\x72m'` is `rm`). */
export function decodeAnsiC(value: string): string {
  return value.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/gs,
    (whole, esc: string) => {
      const head = esc[0] as string;
      if (head === 'x' || head === 'u' || head === 'U')
        return String.fromCodePoint(Number.parseInt(esc.slice(1), 16));
      if (/^[0-7]/.test(esc)) return String.fromCharCode(Number.parseInt(esc, 8));
      if (head === 'c') return String.fromCharCode((esc.charCodeAt(1) & 0x1f) >>> 0);
      return ANSI_C[esc] ?? whole;
    },
  );
}

/** Unquoted literal text: backslash escapes removed; reports unescaped glob and brace characters. */
function unquotedLiteral(raw: string): { text: string; glob: boolean; brace: boolean } {
  let text = '';
  let glob = false;
  let depth = 0;
  let brace = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\') {
      const next = raw[i + 1];
      i++;
      if (next !== undefined && next !== '\n') text += next;
      continue;
    }
    if (c === '*' || c === '?' || c === '[') glob = true;
    if (c === '{') depth++;
    if (c === '}' && depth > 0) depth--;
    if (depth > 0 && (c === ',' || (c === '.' && raw[i + 1] === '.'))) brace = true;
    text += c;
  }
  return { text, glob, brace };
}

/** Literal text inside double quotes: only `\$`, `` \` ``, `\"`, `\\` and `\<newline>` are escapes. */
const doubleQuotedLiteral = (raw: string): string =>
  raw.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === '\n' ? '' : c));

/**
 * The body of a heredoc (`<<EOF` / `<<'EOF'`): literal when the delimiter is quoted; otherwise `\$`,
 * `` \` ``, `\\` and `\<newline>` are escapes and expansions are dynamic, as in bash.
 */
export function evaluateHeredoc(delimiter: ShNode, body: ShNode, nested: NestedScript): ShellWord {
  const quoted = list(delimiter?.Parts).some((p) => nodeType(p) !== 'Lit' || String(p.Value).includes('\\'));
  const parts = list(body?.Parts);
  if (quoted || parts.every((p) => nodeType(p) === 'Lit')) {
    const raw = parts.map((p) => String(p.Value ?? '')).join('');
    return {
      text: quoted ? raw : raw.replace(/\\([$`\\\n])/g, (_, c: string) => (c === '\n' ? '' : c)),
      dynamic: false,
      glob: false,
    };
  }
  // expansions in the body: dynamic, and any substitution in it runs
  return { ...evaluateWord(body, nested), glob: false };
}

/**
 * Evaluates a word as far as possible without running anything. Command and process substitutions
 * inside it are passed to `nested` (they run, whatever the word is used for).
 */
export function evaluateWord(word: ShNode, nested: NestedScript, backquoted = 0): ShellWord {
  let text = '';
  let dynamic = false;
  let glob = false;
  const visitParts = (parts: readonly ShNode[], quoted: boolean, first: boolean) => {
    parts.forEach((part, index) => {
      const type = nodeType(part);
      if (type === 'Lit') {
        const value = String(part.Value);
        if (quoted) {
          text += doubleQuotedLiteral(value);
          return;
        }
        const lit = unquotedLiteral(value);
        if (lit.brace) dynamic = true;
        if (lit.glob) glob = true;
        if (first && index === 0 && lit.text.startsWith('~')) {
          const user = lit.text.slice(1).split('/')[0];
          if (user !== '') dynamic = true; // ~user: someone else's home
        }
        text += lit.text;
      } else if (type === 'SglQuoted') {
        const value = unbackquote(String(part.Value), backquoted);
        text += part.Dollar ? decodeAnsiC(value) : value;
      } else if (type === 'DblQuoted') {
        visitParts(list(part.Parts), true, false);
      } else if (type === 'CmdSubst') {
        dynamic = true;
        text += '$(…)';
        nested(list(part.Stmts), part.Backquotes ? 'backquote' : 'substitution');
      } else if (type === 'ProcSubst') {
        dynamic = true;
        text += '<(…)';
        nested(list(part.Stmts), operators().procSubst.get(part.Op) === '>(' ? 'process-out' : 'process-in');
      } else {
        // ParamExp, ArithmExp, ExtGlob, BraceExp…: the value is only known at run time; any
        // substitution inside (`${x:-$(rm -rf /)}`) still runs
        dynamic = true;
        if (type === 'ExtGlob') glob = true;
        text += '$…';
        walk(part, (n) => {
          const t = nodeType(n);
          if (t === 'CmdSubst') {
            nested(list(n.Stmts), n.Backquotes ? 'backquote' : 'substitution');
            return false;
          }
          if (t === 'ProcSubst') {
            nested(list(n.Stmts), operators().procSubst.get(n.Op) === '>(' ? 'process-out' : 'process-in');
            return false;
          }
          return true;
        });
      }
    });
  };
  visitParts(list(word?.Parts), false, true);
  return { text, dynamic, glob };
}

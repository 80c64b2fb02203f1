import mvdan, { type ShNode } from 'mvdan-sh';

const { syntax } = mvdan;

/** Operator tokens of mvdan-sh, learned once by parsing one sample of each (robust to token renumbering). */
interface OperatorTable {
  readonly binary: ReadonlyMap<number, string>;
  readonly redirect: ReadonlyMap<number, string>;
  readonly procSubst: ReadonlyMap<number, string>;
}

let table: OperatorTable | undefined;

function learnOperators(): OperatorTable {
  const binary = new Map<number, string>();
  const redirect = new Map<number, string>();
  const procSubst = new Map<number, string>();
  const learn = (src: string, names: readonly string[], type: string, into: Map<number, string>) => {
    const found: number[] = [];
    syntax.Walk(syntax.NewParser().Parse(src, ''), (n) => {
      if (n && syntax.NodeType(n) === type) found.push(n.Op as number);
      return true;
    });
    names.forEach((name, i) => {
      const op = found[i];
      if (op !== undefined) into.set(op, name);
    });
  };
  learn('a | b\na |& b\na && b\na || b', ['|', '|&', '&&', '||'], 'BinaryCmd', binary);
  learn(
    'a > f\na >> f\na < f\na &> f\na &>> f\na >| f\na <<< f\na >& f\na <& f\na <> f\na <<E\nE\na <<-E\nE\n',
    ['>', '>>', '<', '&>', '&>>', '>|', '<<<', '>&', '<&', '<>', '<<', '<<-'],
    'Redirect',
    redirect,
  );
  learn('a <(b) >(c)', ['<(', '>('], 'ProcSubst', procSubst);
  return { binary, redirect, procSubst };
}

/** The operator table (learned on first use). */
export function operators(): OperatorTable {
  table ??= learnOperators();
  return table;
}

/** Parses a script with mvdan-sh (bash dialect); throws the parser's error as an `Error`. */
export function parseScript(src: string): ShNode {
  try {
    return syntax.NewParser().Parse(src, '');
  } catch (error) {
    const message =
      typeof (error as { Error?: unknown })?.Error === 'function'
        ? String((error as { Error: () => string }).Error())
        : error instanceof Error
          ? error.message
          : String(error);
    throw new Error(message);
  }
}

/**
 * The node's type name (`CallExpr`, `Lit`, …). `syntax.NodeType` formats the Go type with `Sprintf("%T")`
 * (about 0.25 ms a call in GopherJS); the type's name is also on the wrapped Go object's constructor,
 * read directly when present (a few ns).
 */
export function nodeType(node: ShNode): string {
  const name: unknown = node?.__internal_object__?.constructor?.string;
  if (typeof name === 'string' && name.startsWith('*syntax.')) return name.slice('*syntax.'.length);
  return syntax.NodeType(node);
}

/** Visits every node under `node`; return false to skip a node's children. */
export const walk = (node: ShNode, visit: (node: ShNode) => boolean): void =>
  syntax.Walk(node, (n) => (n === null || n === undefined ? true : visit(n)));

/** A Go slice from mvdan-sh as an array (`null` is an empty slice). */
export const list = (value: unknown): ShNode[] => (Array.isArray(value) ? value : []);

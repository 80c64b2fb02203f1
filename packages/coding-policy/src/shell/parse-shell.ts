import type { ShNode } from 'mvdan-sh';
import { list, nodeType, operators, parseScript, walk } from './shell-syntax.js';
import { evaluateHeredoc, evaluateWord, type ShellWord } from './shell-word.js';
import { findRoots, innerCommands, SHELLS } from './wrappers.js';

/** Programs that fetch from (or talk to) the network. */
export const NETWORK_PROGRAMS: ReadonlySet<string> = new Set([
  'curl',
  'wget',
  'fetch',
  'aria2c',
  'http',
  'https',
  'xh',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'telnet',
  'ftp',
  'sftp',
  'scp',
  'ssh',
  'rsync',
  'lynx',
]);

/**
 * The directory a command runs in: `undefined` = the workspace, `null` = not known (a computed `cd`).
 *
 * @example
 * ```ts
 * const [, cat] = parseShell('cd /etc && cat passwd').commands;
 * const cwd: ShellCwd = cat?.cwd; // '/etc'
 * ```
 */
export type ShellCwd = string | undefined | null;

/**
 * One simple command the script runs (wrappers unwrapped: `sudo rm x` gives `sudo …` and `rm x`).
 *
 * @example
 * ```ts
 * const commands: readonly ShellCommand[] = parseShell('timeout 5 sudo rm -rf /').commands;
 * commands.map((c) => `${c.via.join(' > ')} ${c.name}`); // [' timeout', 'timeout sudo', 'timeout > sudo rm']
 * ```
 */
export interface ShellCommand {
  /** argv after quote removal; argv[0] is the program as written. */
  readonly argv: readonly ShellWord[];
  /** The program's base name (`/bin/rm` and `\rm` are `rm`); `''` when computed at run time. */
  readonly name: string;
  readonly cwd: ShellCwd;
  /** Wrappers it runs under, outermost first (`['sudo', 'bash -c']`). */
  readonly via: readonly string[];
  /** More arguments come from stdin or matches (`xargs rm`, `find -exec rm {} ;`). */
  readonly argsFromInput: boolean;
  /** Some of its input comes from a network program (`curl … | sh`, `bash <(curl …)`, `sh -c "$(wget …)"`). */
  readonly networkInput: boolean;
  /** Environment variables assigned for it (`FOO=1 cmd`). */
  readonly assigns: readonly string[];
}

/**
 * A redirection (`> f`, `2>> f`, `< f`, `&> f`…) and the directory it is relative to.
 *
 * @example
 * ```ts
 * const [out]: readonly ShellRedirect[] = parseShell('echo hi > /etc/motd').redirects;
 * out?.target.text; // '/etc/motd'
 * ```
 */
export interface ShellRedirect {
  readonly op: string;
  readonly target: ShellWord;
  readonly cwd: ShellCwd;
}

/**
 * Everything known about a command line without running it.
 *
 * @example
 * ```ts
 * const parsed: ParsedShell = parseShell("echo 'unbalanced");
 * parsed.uncertainty; // ["does not parse: 1:6: reached EOF without closing quote '"]
 * ```
 */
export interface ParsedShell {
  readonly commands: readonly ShellCommand[];
  readonly redirects: readonly ShellRedirect[];
  /** Why the command line cannot be judged with confidence (empty when it can). */
  readonly uncertainty: readonly string[];
}

/** How deep `bash -c "bash -c '…'"` is followed. */
const MAX_DEPTH = 4;

interface Scope {
  cwd: ShellCwd;
  readonly via: readonly string[];
  readonly depth: number;
  stdin: 'network' | 'pipe' | undefined;
  /** Levels of `…` the words are in. */
  readonly backquoted: number;
}

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Variables that change which program a name runs or what it loads. */
const HIJACK_VARIABLES =
  /^(PATH|LD_PRELOAD|LD_LIBRARY_PATH|DYLD_.*|BASH_ENV|ENV|IFS|NODE_OPTIONS|PYTHONPATH|PYTHONSTARTUP|PERL5OPT|RUBYOPT|GIT_SSH|GIT_SSH_COMMAND|GIT_EXEC_PATH|PROMPT_COMMAND|SHELLOPTS|BASHOPTS)$/;

/**
 * Parses a shell command line with mvdan-sh (the parser of `shfmt`, bash dialect) and lists every simple
 * command it would run, including those in `&&`/`||`/`;` chains, pipelines, subshells, `$(…)` and
 * backticks, process substitutions, function bodies, loops, `bash -c '…'`, `eval`, here-strings and
 * heredocs fed to shells, and the commands of wrappers (`sudo`, `env`, `xargs`, `find -exec`, `timeout`…).
 * Anything it cannot know is listed in `uncertainty`: a parse error, a program name computed at run time,
 * a script read from a pipe, a `cd` it cannot follow, variables that change program lookup…
 *
 * @example
 * ```ts
 * const { commands } = parseShell("FOO=1 \\r''m -rf ./build && git push --force");
 * commands.map((c) => c.name); // ['rm', 'git']
 * ```
 */
export function parseShell(command: string): ParsedShell {
  const commands: ShellCommand[] = [];
  const redirects: ShellRedirect[] = [];
  const uncertainty = new Set<string>();
  const uncertain = (reason: string) => uncertainty.add(reason);

  const script = (src: string, scope: Scope) => {
    if (scope.depth > MAX_DEPTH) {
      uncertain('shell scripts nested too deeply');
      return;
    }
    let file: ShNode;
    try {
      file = parseScript(src);
    } catch (error) {
      uncertain(`does not parse: ${(error as Error).message}`);
      return;
    }
    for (const stmt of list(file.Stmts)) statement(stmt, scope);
  };

  /** A word whose substitutions run in a child scope; reports if one of them talks to the network. */
  const word = (w: ShNode, scope: Scope): { word: ShellWord; network: boolean } => {
    let network = false;
    const value = evaluateWord(
      w,
      (stmts, kind) => {
        const before = commands.length;
        const child: Scope = {
          ...scope,
          stdin: undefined,
          backquoted: scope.backquoted + (kind === 'backquote' ? 1 : 0),
        };
        // a cd inside $(…) or <(…) does not change the outer directory
        for (const s of stmts) statement(s, child);
        if (commands.slice(before).some((c) => NETWORK_PROGRAMS.has(c.name))) network = true;
      },
      scope.backquoted,
    );
    return { word: value, network };
  };

  const statement = (stmt: ShNode, scope: Scope): void => {
    const stdinScripts: ShellWord[] = [];
    let networkRedirect = false;
    for (const r of list(stmt.Redirs)) {
      const op = operators().redirect.get(r.Op as number) ?? '?';
      if (op === '<<' || op === '<<-') {
        stdinScripts.push(
          evaluateHeredoc(r.Word, r.Hdoc, (stmts) => {
            for (const s of stmts) statement(s, { ...scope, stdin: undefined });
          }),
        );
        continue;
      }
      const target = word(r.Word, scope);
      if (target.network) networkRedirect = true;
      if (op === '<<<') {
        stdinScripts.push(target.word);
        continue;
      }
      if ((op === '>&' || op === '<&') && /^(\d+|-)$/.test(target.word.text)) continue; // 2>&1, <&-
      redirects.push({ op, target: target.word, cwd: scope.cwd });
    }
    const cmd = stmt.Cmd;
    if (cmd === null || cmd === undefined) return;
    const type = nodeType(cmd);
    if (type === 'CallExpr') call(cmd, scope, stdinScripts, networkRedirect);
    else if (type === 'BinaryCmd') binary(cmd, scope);
    else if (type === 'Subshell') block(list(cmd.Stmts), { ...scope });
    else if (type === 'Block') block(list(cmd.Stmts), scope);
    else {
      if (type === 'FuncDecl') uncertain('defines a shell function');
      if (type === 'DeclClause') for (const a of list(cmd.Args)) assignment(a, scope);
      compound(cmd, scope);
    }
  };

  const block = (stmts: readonly ShNode[], scope: Scope) => {
    for (const s of stmts) statement(s, scope);
  };

  /** if/while/for/case/function bodies, [[ ]], (( )), let, time, coproc: every nested statement. */
  const compound = (cmd: ShNode, scope: Scope) => {
    const inner: Scope = { ...scope };
    walk(cmd, (n) => {
      const t = nodeType(n);
      if (t === 'Stmt') {
        statement(n, inner);
        return false;
      }
      if (t === 'CmdSubst' || t === 'ProcSubst') {
        for (const s of list(n.Stmts)) statement(s, { ...inner, stdin: undefined });
        return false;
      }
      return true;
    });
    if (inner.cwd !== scope.cwd) {
      uncertain('changes directory inside a compound command');
      scope.cwd = null;
    }
  };

  const binary = (cmd: ShNode, scope: Scope) => {
    const op = operators().binary.get(cmd.Op as number);
    if (op === '|' || op === '|&') {
      const before = commands.length;
      statement(cmd.X, { ...scope });
      const network =
        scope.stdin === 'network' || commands.slice(before).some((c) => NETWORK_PROGRAMS.has(c.name));
      statement(cmd.Y, { ...scope, stdin: network ? 'network' : 'pipe' });
      return;
    }
    statement(cmd.X, scope);
    const cwd = scope.cwd;
    statement(cmd.Y, scope);
    if (scope.cwd !== cwd) {
      // `a && cd x` / `a || cd x`: whether the cd happened depends on a
      uncertain('changes directory conditionally');
      scope.cwd = null;
    }
  };

  const assignment = (a: ShNode, scope: Scope) => {
    const name = a?.Name ? String(a.Name.Value) : '';
    if (HIJACK_VARIABLES.test(name)) uncertain(`sets ${name}, which changes what commands run`);
    if (a?.Value) word(a.Value, scope);
  };

  const call = (cmd: ShNode, scope: Scope, stdinScripts: ShellWord[], networkRedirect: boolean) => {
    const assigns: string[] = [];
    for (const a of list(cmd.Assigns)) {
      assignment(a, scope);
      if (a?.Name) assigns.push(String(a.Name.Value));
    }
    let network = networkRedirect;
    const argv = list(cmd.Args).map((w) => {
      const v = word(w, scope);
      if (v.network) network = true;
      return v.word;
    });
    if (argv.length === 0) return; // assignments only
    emit(argv, scope, { assigns, network, stdinScripts, argsFromInput: false });
  };

  const emit = (
    argv: readonly ShellWord[],
    scope: Scope,
    extra: { assigns: string[]; network: boolean; stdinScripts: ShellWord[]; argsFromInput: boolean },
  ) => {
    const program = argv[0] as ShellWord;
    const name = program.dynamic ? '' : basename(program.text);
    if (program.dynamic) uncertain(`the program name ${program.text} is computed at run time`);
    else if (program.glob) uncertain(`the program name ${program.text} is a glob`);
    if (extra.argsFromInput && (name === '' || SHELLS.has(name)))
      uncertain('runs a command built from its input');
    const networkInput = extra.network || scope.stdin === 'network';
    commands.push({
      argv,
      name,
      cwd: scope.cwd,
      via: scope.via,
      argsFromInput: extra.argsFromInput,
      networkInput,
      assigns: extra.assigns,
    });
    if (name === 'cd' || name === 'pushd' || name === 'popd') {
      changeDirectory(name, argv, scope);
      return;
    }
    if (name === 'source' || name === '.') return;
    const inner = innerCommands(name, argv);
    const via = [...scope.via, name];
    for (const i of inner) {
      // a nested script (bash -c '…') is parsed from its own text: no backquote levels apply to it
      const child: Scope = { cwd: scope.cwd, via, depth: scope.depth + 1, stdin: scope.stdin, backquoted: 0 };
      if (i.kind === 'command') {
        const next = name === 'find' ? withFindRoots(i.argv, argv) : i.argv;
        emit(next, child, {
          assigns: [],
          network: networkInput,
          stdinScripts: extra.stdinScripts,
          argsFromInput: i.argsFromInput || extra.argsFromInput,
        });
      } else if (i.kind === 'script') {
        if (i.script.dynamic) uncertain(`${name} runs a script computed at run time`);
        else script(i.script.text, { ...child, via: [...via.slice(0, -1), `${name} -c`] });
      } else if (extra.stdinScripts.length > 0) {
        for (const s of extra.stdinScripts) {
          if (s.dynamic) uncertain(`${name} runs a here-document computed at run time`);
          else script(s.text, child);
        }
      } else if (scope.stdin !== undefined || networkInput) {
        uncertain(`${name} runs a script read from a pipe`);
      } else {
        uncertain(`${name} reads a script from stdin`);
      }
    }
  };

  const changeDirectory = (name: string, argv: readonly ShellWord[], scope: Scope) => {
    if (name !== 'cd') {
      uncertain(`${name} changes directory in a way not followed`);
      scope.cwd = null;
      return;
    }
    const target = argv.slice(1).filter((w) => !/^-[LPe@]+$/.test(w.text));
    const to = target[0];
    if (to === undefined) scope.cwd = '~';
    else if (to.dynamic || to.glob || to.text === '-') {
      uncertain('changes to a directory computed at run time');
      scope.cwd = null;
    } else if (scope.cwd === null) scope.cwd = null;
    else if (to.text.startsWith('/') || to.text.startsWith('~')) scope.cwd = to.text;
    else scope.cwd = scope.cwd === undefined ? to.text : `${scope.cwd}/${to.text}`;
  };

  script(command, { cwd: undefined, via: [], depth: 0, stdin: undefined, backquoted: 0 });
  return { commands, redirects, uncertainty: [...uncertainty] };
}

/** `find src -exec rm {} ;`: `{}` is every match, i.e. somewhere under the search roots. */
function withFindRoots(inner: readonly ShellWord[], findArgv: readonly ShellWord[]): ShellWord[] {
  const roots = findRoots(findArgv);
  return inner.flatMap((w) =>
    w.text.includes('{}') ? roots.map((r) => ({ ...r, text: w.text.replaceAll('{}', r.text) })) : [w],
  );
}

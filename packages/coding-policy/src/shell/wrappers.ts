import type { ShellWord } from './shell-word.js';

/** Shells: `-c` runs a script given as a string; without it and without a file they read stdin. */
export const SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'mksh',
  'ash',
  'fish',
  'busybox',
]);

/**
 * What a wrapper command runs in turn:
 * - `command`: another program with its arguments (`sudo rm -rf /`, `env X=1 rm`, `xargs rm`,
 *   `find … -exec rm {} ;`); `argsFromInput` when more arguments come from stdin or from matches
 * - `script`: shell source in a word (`bash -c '…'`, `eval …`, `watch '…'`)
 * - `stdin-script`: a shell that reads its script from stdin
 */
export type Inner =
  | { readonly kind: 'command'; readonly argv: readonly ShellWord[]; readonly argsFromInput: boolean }
  | { readonly kind: 'script'; readonly script: ShellWord }
  | { readonly kind: 'stdin-script' };

const isFlag = (w: ShellWord): boolean => w.text.startsWith('-') && w.text !== '-';

/** Skips options (and the values of `withValue` options) and returns the index of the first operand. */
function skipOptions(argv: readonly ShellWord[], from: number, withValue: ReadonlySet<string>): number {
  let i = from;
  while (i < argv.length) {
    const w = argv[i] as ShellWord;
    if (w.text === '--') return i + 1;
    if (!isFlag(w)) return i;
    if (withValue.has(w.text)) i++;
    i++;
  }
  return i;
}

const rest = (argv: readonly ShellWord[], at: number, argsFromInput = false): Inner[] =>
  at < argv.length ? [{ kind: 'command', argv: argv.slice(at), argsFromInput }] : [];

const SUDO_VALUE = new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group']);
const XARGS_VALUE = new Set([
  '-I',
  '-i',
  '-n',
  '-P',
  '-L',
  '-l',
  '-s',
  '-d',
  '-E',
  '-e',
  '-a',
  '--arg-file',
  '--delimiter',
  '--max-args',
  '--max-procs',
]);
const ENV_VALUE = new Set(['-u', '--unset', '-C', '--chdir']);
const NICE_VALUE = new Set(['-n', '--adjustment']);
const TIMEOUT_VALUE = new Set(['-s', '--signal', '-k', '--kill-after']);
const EXEC_VALUE = new Set(['-a']);
const NONE: ReadonlySet<string> = new Set();

/** Programs that only run their operand: `nohup rm …` is `rm …`. */
const PLAIN_WRAPPERS = new Set([
  'nohup',
  'time',
  'builtin',
  'setsid',
  'unbuffer',
  'caffeinate',
  'stdbuf',
  'ionice',
  'chrt',
  'taskset',
  'strace',
  'ltrace',
]);

/**
 * The commands a wrapper runs, from its argv (argv[0] is the wrapper, `name` its basename). An empty
 * array: the program is not a wrapper (or runs nothing further).
 */
export function innerCommands(name: string, argv: readonly ShellWord[]): Inner[] {
  if (name === 'sudo' || name === 'doas' || name === 'pkexec') {
    let at = skipOptions(argv, 1, SUDO_VALUE);
    // sudo VAR=value cmd sets VAR for cmd
    while (at < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test((argv[at] as ShellWord).text)) at++;
    return rest(argv, at);
  }
  if (PLAIN_WRAPPERS.has(name)) return rest(argv, skipOptions(argv, 1, NONE));
  if (name === 'nice') return rest(argv, skipOptions(argv, 1, NICE_VALUE));
  if (name === 'exec') return rest(argv, skipOptions(argv, 1, EXEC_VALUE));
  if (name === 'command') {
    // `command -v x` / `-V` only looks a name up
    if (argv.slice(1).some((w) => w.text === '-v' || w.text === '-V')) return [];
    return rest(argv, skipOptions(argv, 1, NONE));
  }
  if (name === 'timeout') {
    const at = skipOptions(argv, 1, TIMEOUT_VALUE);
    return rest(argv, at + 1); // the duration, then the command
  }
  if (name === 'env') {
    let i = 1;
    while (i < argv.length) {
      const w = argv[i] as ShellWord;
      if (w.text === '-S' || w.text.startsWith('--split-string')) {
        const script = w.text.includes('=')
          ? { ...w, text: w.text.slice(w.text.indexOf('=') + 1) }
          : argv[i + 1];
        return script === undefined ? [] : [{ kind: 'script', script }];
      }
      if (isFlag(w)) i += ENV_VALUE.has(w.text) ? 2 : 1;
      else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) i++;
      else break;
    }
    return rest(argv, i);
  }
  if (name === 'xargs') return rest(argv, skipOptions(argv, 1, XARGS_VALUE), true);
  if (name === 'watch') {
    const at = skipOptions(argv, 1, new Set(['-n', '--interval', '-d']));
    const words = argv.slice(at);
    if (words.length === 0) return [];
    return [{ kind: 'script', script: joinWords(words) }];
  }
  if (name === 'eval') {
    const words = argv.slice(1);
    return words.length === 0 ? [] : [{ kind: 'script', script: joinWords(words) }];
  }
  if (name === 'find') return findExec(argv);
  if (SHELLS.has(name)) return shellInner(name, argv);
  return [];
}

/** `a b c` as one word (eval and watch join their arguments with spaces). */
const joinWords = (words: readonly ShellWord[]): ShellWord => ({
  text: words.map((w) => w.text).join(' '),
  dynamic: words.some((w) => w.dynamic),
  glob: false,
});

/** `bash -c 'script'`, `bash script.sh`, or `bash` reading stdin (`bash -s`, `curl … | bash`). */
function shellInner(name: string, argv: readonly ShellWord[]): Inner[] {
  let i = name === 'busybox' ? 2 : 1;
  if (name === 'busybox' && !SHELLS.has(argv[1]?.text ?? '')) return rest(argv, 1);
  while (i < argv.length) {
    const w = argv[i] as ShellWord;
    if (w.text === '--') {
      i++;
      break;
    }
    if (!isFlag(w) && !w.text.startsWith('+')) break;
    // `-c` may be combined with other short options: `-ec`, `-lc`
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(w.text)) {
      const script = argv[i + 1];
      return script === undefined ? [] : [{ kind: 'script', script }];
    }
    if (w.text === '-o' || w.text === '+o' || w.text === '--rcfile' || w.text === '--init-file') i++;
    if (/^-[a-zA-Z]*s[a-zA-Z]*$/.test(w.text)) return [{ kind: 'stdin-script' }];
    i++;
  }
  // an operand is a script file: what it does is not in the command line
  return i < argv.length ? [] : [{ kind: 'stdin-script' }];
}

/** `find … -exec cmd args {} ;` / `-execdir` / `-ok` / `-okdir`: cmd runs on every match. */
function findExec(argv: readonly ShellWord[]): Inner[] {
  const inner: Inner[] = [];
  for (let i = 1; i < argv.length; i++) {
    const t = (argv[i] as ShellWord).text;
    if (t !== '-exec' && t !== '-execdir' && t !== '-ok' && t !== '-okdir') continue;
    let end = i + 1;
    while (
      end < argv.length &&
      (argv[end] as ShellWord).text !== ';' &&
      (argv[end] as ShellWord).text !== '+'
    )
      end++;
    const cmd = argv.slice(i + 1, end);
    if (cmd.length > 0) inner.push({ kind: 'command', argv: cmd, argsFromInput: true });
    i = end;
  }
  return inner;
}

/** The search roots of a `find` command (its operands before the first expression). */
export function findRoots(argv: readonly ShellWord[]): ShellWord[] {
  const roots: ShellWord[] = [];
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i] as ShellWord;
    if (w.text === '-H' || w.text === '-L' || w.text === '-P') continue;
    if (w.text.startsWith('-') || w.text === '(' || w.text === '!') break;
    roots.push(w);
  }
  return roots.length > 0 ? roots : [{ text: '.', dynamic: false, glob: false }];
}

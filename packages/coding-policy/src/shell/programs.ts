// What the pack knows about programs: which only read, which write their operands, which take a
// subcommand or a pattern first, and which options name a directory. Used by shell-facts.ts.
import type { ShellCommand } from './parse-shell.js';

/** Programs that only read (given the argument checks below). */
export const READ_ONLY: ReadonlySet<string> = new Set([
  'ls',
  'cat',
  'head',
  'tail',
  'less',
  'more',
  'wc',
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'ag',
  'find',
  'pwd',
  'echo',
  'printf',
  'which',
  'type',
  'file',
  'stat',
  'du',
  'df',
  'tree',
  'sort',
  'uniq',
  'cut',
  'tr',
  'diff',
  'cmp',
  'basename',
  'dirname',
  'realpath',
  'readlink',
  'date',
  'whoami',
  'id',
  'uname',
  'true',
  'false',
  'test',
  '[',
  'jq',
  'nl',
  'od',
  'xxd',
  'hexdump',
  'sha256sum',
  'sha1sum',
  'md5sum',
  'shasum',
  'column',
  'fold',
  'comm',
  'paste',
  'seq',
  'sleep',
  'cd',
  'git',
  ':',
  'command',
  'tac',
  'rev',
  'strings',
  'awk',
]);
export const GIT_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
]);
export const GIT_READ_ONLY: ReadonlySet<string> = new Set([
  'status',
  'log',
  'diff',
  'show',
  'rev-parse',
  'ls-files',
  'blame',
  'grep',
  'describe',
  'shortlog',
  'cat-file',
  'ls-tree',
  'merge-base',
  'reflog',
  'whatchanged',
]);
/** Arguments of these are not paths. */
export const NO_PATH_ARGS: ReadonlySet<string> = new Set([
  'echo',
  'printf',
  'true',
  'false',
  'date',
  'whoami',
  'id',
  'uname',
  'which',
  'type',
  'sleep',
  'seq',
  ':',
  'command',
  'kill',
  'pkill',
  'killall',
]);
/** The first operand of these is a pattern or program, not a path (unless given with -e / -f). */
export const PATTERN_FIRST: ReadonlySet<string> = new Set([
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'ag',
  'sed',
  'awk',
  'jq',
]);
/** Programs whose operands are written, moved or deleted (all of them, or the last one). */
export const WRITES_ALL: ReadonlySet<string> = new Set([
  'rm',
  'rmdir',
  'unlink',
  'shred',
  'truncate',
  'touch',
  'mkdir',
  'mv',
  'tee',
  'chmod',
  'chown',
  'chgrp',
  'setfacl',
  'chattr',
  'mkfifo',
  'mknod',
]);
export const WRITES_LAST: ReadonlySet<string> = new Set(['cp', 'ln', 'install', 'rsync', 'scp']);
/** Programs whose first operand is a subcommand (`git push`, `npm test`), not a path. */
export const SUBCOMMANDS: ReadonlySet<string> = new Set([
  'git',
  'npm',
  'pnpm',
  'yarn',
  'bun',
  'cargo',
  'go',
  'docker',
  'podman',
  'gh',
  'pip',
  'pip3',
  'make',
  'kubectl',
  'systemctl',
  'brew',
  'apt',
  'apt-get',
]);
/** Options whose next argument is a directory the command works in or writes to. */
export const DIRECTORY_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  git: ['-C'],
  make: ['-C', '--directory'],
  tar: ['-C', '--directory'],
  npm: ['--prefix'],
  pnpm: ['-C', '--dir'],
  yarn: ['--cwd'],
  cp: ['-t'],
  mv: ['-t'],
  ln: ['-t'],
  install: ['-t'],
};
export const TARGET_OPTIONS: ReadonlySet<string> = new Set(['cp', 'mv', 'ln', 'install']);
export const DEV_NULL = /^\/dev\/(null|stdout|stderr|tty|fd\/[0-2])$/;

/** Whether a command only reads (its program is read-only and its arguments keep it so). */
export function isReadOnly(c: ShellCommand): boolean {
  if (!READ_ONLY.has(c.name)) return false;
  const texts = c.argv.slice(1).map((w) => w.text);
  if (c.name === 'git') {
    // the subcommand: the first operand after the global options and their values (`git -C dir status`)
    const sub = texts.find((t, i) => !t.startsWith('-') && !GIT_VALUE_OPTIONS.has(texts[i - 1] ?? ''));
    return (
      sub !== undefined &&
      GIT_READ_ONLY.has(sub) &&
      !texts.some((t) => t === '--output' || t.startsWith('--output=') || t === '--ext-diff')
    );
  }
  if (c.name === 'find')
    return !texts.some((t) => /^-(delete|exec|execdir|ok|okdir|fprint|fprint0|fprintf|fls)$/.test(t));
  if (c.name === 'awk') return !texts.some((t) => /system\s*\(|\|\s*"|>\s*"|getline/.test(t));
  if (c.name === 'sort') return !texts.some((t) => t === '-o' || t.startsWith('--output'));
  return true;
}

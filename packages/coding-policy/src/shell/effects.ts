import type { ShellCommand } from './parse-shell.js';
import type { ShellWord } from './shell-word.js';
import { SHELLS } from './wrappers.js';

/**
 * Effects a command has that the policy pack judges (the `effects` fact). Each is documented in
 * docs/guides/coding-agent-policy.md with the policy that decides it.
 *
 * @example
 * ```ts
 * const needsApproval = facts.effects.includes('delete-recursive' satisfies ShellEffect);
 * ```
 */
export type ShellEffect =
  | 'privilege'
  | 'remote-code'
  | 'disk'
  | 'system'
  | 'world-writable'
  | 'delete-recursive'
  | 'git-push'
  | 'git-force-push'
  | 'git-reset-hard'
  | 'git-clean'
  | 'git-config'
  | 'publish'
  | 'package-install'
  | 'package-exec'
  | 'network'
  | 'inline-code'
  | 'permissions'
  | 'kill';

const flags = (argv: readonly ShellWord[]): string[] =>
  argv
    .slice(1)
    .map((w) => w.text)
    .filter((t) => t.startsWith('-'));
const operands = (argv: readonly ShellWord[]): ShellWord[] =>
  argv.slice(1).filter((w) => !w.text.startsWith('-'));
/** Short flags combined (`-rf`) or long ones. */
const hasFlag = (argv: readonly ShellWord[], short: string, ...long: string[]): boolean =>
  flags(argv).some((f) =>
    f.startsWith('--')
      ? long.includes(f.split('=')[0] as string)
      : short !== '' && f.slice(1).includes(short),
  );

const PRIVILEGE = new Set(['sudo', 'su', 'doas', 'pkexec', 'runuser', 'chroot']);
const DISK = new Set([
  'dd',
  'mkfs',
  'fdisk',
  'sfdisk',
  'gdisk',
  'parted',
  'wipefs',
  'mkswap',
  'swapon',
  'swapoff',
  'losetup',
  'cryptsetup',
  'diskutil',
]);
const SYSTEM = new Set([
  'shutdown',
  'reboot',
  'halt',
  'poweroff',
  'init',
  'telinit',
  'systemctl',
  'service',
  'launchctl',
  'crontab',
  'mount',
  'umount',
  'iptables',
  'nft',
  'ufw',
  'useradd',
  'userdel',
  'usermod',
  'passwd',
  'chpasswd',
  'visudo',
  'modprobe',
  'insmod',
  'sysctl',
]);
const INTERPRETERS: Readonly<Record<string, readonly string[]>> = {
  python: ['-c'],
  python3: ['-c'],
  python2: ['-c'],
  node: ['-e', '-p', '--eval', '--print'],
  bun: ['-e', '--eval'],
  deno: ['eval'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  php: ['-r'],
  lua: ['-e'],
  osascript: ['-e'],
  pwsh: ['-c', '-Command'],
  powershell: ['-c', '-Command'],
};
const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);
const INSTALL = new Set(['install', 'i', 'ci', 'add', 'update', 'up', 'upgrade', 'isntall', 'in']);
const PUBLISH = new Set(['publish', 'unpublish', 'deprecate', 'dist-tag', 'owner']);

/** `npm run x` → 'run'; skips global options such as `--prefix dir`, `-w pkg`. */
function subcommand(
  argv: readonly ShellWord[],
  withValue: ReadonlySet<string> = new Set(),
): { name: string; at: number } {
  for (let i = 1; i < argv.length; i++) {
    const t = (argv[i] as ShellWord).text;
    if (withValue.has(t)) {
      i++;
      continue;
    }
    if (!t.startsWith('-')) return { name: t, at: i };
  }
  return { name: '', at: argv.length };
}

const GIT_VALUE = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path']);

function gitEffects(argv: readonly ShellWord[], out: Set<ShellEffect>): void {
  if (
    argv
      .slice(1)
      .some(
        (w) =>
          w.text === '-c' ||
          w.text.startsWith('--exec-path') ||
          w.text === '--git-dir' ||
          w.text === '--work-tree',
      )
  )
    out.add('git-config'); // `git -c core.sshCommand=… ` runs programs of its own
  const { name, at } = subcommand(argv, GIT_VALUE);
  const sub = [argv[0] as ShellWord, ...argv.slice(at + 1)];
  if (name === 'push') {
    const force =
      hasFlag(
        sub,
        'f',
        '--force',
        '--force-with-lease',
        '--force-if-includes',
        '--mirror',
        '--delete',
        '--prune',
      ) || operands(sub).some((w) => w.text.startsWith('+') || w.text.startsWith(':'));
    out.add(force ? 'git-force-push' : 'git-push');
  } else if (name === 'reset' && hasFlag(sub, '', '--hard', '--merge', '--keep')) out.add('git-reset-hard');
  else if (name === 'clean' && hasFlag(sub, 'f', '--force')) out.add('git-clean');
  else if (
    (name === 'checkout' || name === 'restore' || name === 'switch') &&
    hasFlag(sub, 'f', '--force', '--discard-changes')
  )
    out.add('git-reset-hard');
  else if (name === 'branch' && hasFlag(sub, 'D', '--delete')) out.add('git-reset-hard');
  else if (
    name === 'config' ||
    name === 'remote' ||
    name === 'submodule' ||
    name === 'filter-branch' ||
    name === 'update-ref' ||
    name === 'replace'
  )
    out.add('git-config');
  else if (
    name === 'clone' ||
    name === 'fetch' ||
    name === 'pull' ||
    name === 'ls-remote' ||
    name === 'archive'
  ) {
    if (operands(sub).some((w) => /:\/\/|@.+:/.test(w.text))) out.add('network');
  } else if (name === 'stash' && ['drop', 'clear'].includes(sub[1]?.text ?? '')) out.add('git-reset-hard');
}

const WORLD_WRITABLE =
  /^(0?[0-7]?[0-7][2367][0-7]?|[0-7]?[0-7]{2}[2367])$|(^|,)(a|o|ugo|[ug]*o[ug]*)?[+=][rwxXst]*w/;

/**
 * The effects of one command (its own, not its wrappers'; those are commands too).
 *
 * @example
 * ```ts
 * const [rm] = parseShell('rm -rf build').commands;
 * commandEffects(rm); // Set { 'delete-recursive' }
 * ```
 */
export function commandEffects(c: ShellCommand): Set<ShellEffect> {
  const out = new Set<ShellEffect>();
  const { name, argv } = c;
  const base = name.replace(/\.(exe|sh)$/, '');
  if (PRIVILEGE.has(base)) out.add('privilege');
  if (DISK.has(base) || base.startsWith('mkfs.') || base.startsWith('mkfs')) out.add('disk');
  if (SYSTEM.has(base)) out.add('system');
  if (base === 'kill' || base === 'pkill' || base === 'killall') out.add('kill');
  if (
    (SHELLS.has(base) || base === 'eval' || base === 'source' || base === '.' || base in INTERPRETERS) &&
    c.networkInput
  )
    out.add('remote-code');
  const inline = INTERPRETERS[base];
  if (inline && argv.slice(1).some((w) => inline.includes(w.text))) out.add('inline-code');
  if (base === 'rm' && hasFlag(argv, 'r', '--recursive')) out.add('delete-recursive');
  if (base === 'rm' && hasFlag(argv, 'R')) out.add('delete-recursive');
  if (
    (base === 'shred' || base === 'srm' || base === 'rsync') &&
    hasFlag(argv, 'u', '--remove', '--delete', '--delete-after', '--delete-before', '--remove-source-files')
  )
    out.add('delete-recursive');
  if (base === 'find' && argv.some((w) => w.text === '-delete')) out.add('delete-recursive');
  if (base === 'chmod' || base === 'chown' || base === 'chgrp' || base === 'setfacl' || base === 'chattr') {
    const recursive = hasFlag(argv, 'R', '--recursive');
    const mode = operands(argv)[0]?.text ?? '';
    if (base === 'chmod' && recursive && WORLD_WRITABLE.test(mode)) out.add('world-writable');
    else out.add('permissions');
  }
  if (PACKAGE_MANAGERS.has(base)) {
    const { name: sub } = subcommand(
      argv,
      new Set(['--prefix', '-w', '--workspace', '--filter', '-C', '--cwd']),
    );
    if (PUBLISH.has(sub) || (base === 'yarn' && sub === 'npm' && argv.some((w) => w.text === 'publish')))
      out.add('publish');
    else if (INSTALL.has(sub) || (base === 'yarn' && sub === '')) out.add('package-install');
    else if (sub === 'exec' || sub === 'x' || sub === 'dlx' || sub === 'create' || sub === 'init')
      out.add('package-exec');
  }
  if (base === 'npx' || base === 'bunx' || base === 'pnpx') out.add('package-exec');
  if (
    [
      'pip',
      'pip3',
      'pipx',
      'gem',
      'cargo',
      'go',
      'brew',
      'apt',
      'apt-get',
      'dnf',
      'yum',
      'apk',
      'uv',
      'poetry',
      'composer',
    ].includes(base)
  ) {
    const sub = subcommand(argv).name;
    if (['publish', 'push', 'upload'].includes(sub)) out.add('publish');
    else if (['install', 'add', 'get', 'upgrade', 'update'].includes(sub)) out.add('package-install');
  }
  if (base === 'twine' || base === 'vsce' || base === 'ovsx') out.add('publish');
  if (base === 'docker' || base === 'podman') {
    const sub = subcommand(argv).name;
    if (sub === 'push') out.add('publish');
    else if (
      sub === 'run' &&
      argv.some((w) => w.text === '--privileged' || w.text.startsWith('-v/') || w.text === '-v')
    )
      out.add('privilege');
  }
  if (base === 'gh' && ['release', 'repo', 'secret', 'api'].includes(subcommand(argv).name))
    out.add('publish');
  if (base === 'git') gitEffects(argv, out);
  return out;
}
